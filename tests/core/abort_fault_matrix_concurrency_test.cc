// The abort × fault matrix (issue 9), abort from another thread: while
// EndPrepareSnapshots waits for the prepares, and while CommitSnapshots waits
// for the commit groups, × every backend op × every fault. The sequential
// columns are in abort_fault_matrix_test.cc; what each case checks:
// abort_fault_matrix.h. One case:
//   ctest -R 'DuringCommit_Prepare_ErrorInsufficientStorage$'
//   abort_fault_matrix_concurrency_test --gtest_filter='*/DuringCommit_Commit_Hang'
#include <gtest/gtest.h>

#include "abort_fault_matrix.h"

// Labelled "concurrency" (the ThreadSanitizer stage runs it). TSan sleeps 1 s
// at every exit by default (atexit_sleep_ms) to catch races with threads
// still running then; each case settles and joins its threads before it
// ends, and the 156 cases are 156 processes, so this executable skips that
// sleep. TSAN_OPTIONS still overrides it.
#if defined(__SANITIZE_THREAD__)
#define HWSNAP_MATRIX_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HWSNAP_MATRIX_UNDER_TSAN 1
#endif
#endif
#ifdef HWSNAP_MATRIX_UNDER_TSAN
extern "C" const char* __tsan_default_options() { return "atexit_sleep_ms=0"; }
#endif

namespace hwsnap::testing {
namespace {

class AbortFaultMatrixConcurrencyTest : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(AbortFaultMatrixConcurrencyTest, Case) { RunMatrixCase(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Matrix, AbortFaultMatrixConcurrencyTest,
                         ::testing::ValuesIn(MatrixCases(kConcurrentColumns)), MatrixTestName);

}  // namespace
}  // namespace hwsnap::testing
