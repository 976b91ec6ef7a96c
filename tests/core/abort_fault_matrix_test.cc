// The exhaustive abort × fault matrix (issue 9), abort points reached in
// sequence: no abort, and an abort after BeginPrepare, EndPrepare, PreCommit,
// Commit, PostCommit, PreFinalCommit and PostFinalCommit (completed:
// kBadState), × every backend op × every fault. The abort-from-another-thread
// columns are in abort_fault_matrix_concurrency_test.cc. What each case
// checks: abort_fault_matrix.h. One case:
//   ctest -R 'AfterCommit_Commit_ErrorBadState$'
//   abort_fault_matrix_test --gtest_filter='*/AfterCommit_Commit_ErrorBadState'
#include <gtest/gtest.h>

#include "abort_fault_matrix.h"

namespace hwsnap::testing {
namespace {

class AbortFaultMatrixTest : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(AbortFaultMatrixTest, Case) { RunMatrixCase(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Matrix, AbortFaultMatrixTest, ::testing::ValuesIn(MatrixCases(kSequentialColumns)),
                         MatrixTestName);

}  // namespace
}  // namespace hwsnap::testing
