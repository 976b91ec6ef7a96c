// quiescence.h — "nothing else in this process can move on its own now".
//
// The provider runs real threads (worker pool, VSS call lanes, the async
// logger). The director may only draw its next choice when every one of them
// has reached a point where it waits for something: a backend op parked in
// the SimGate, a condition variable, a timer. This file decides that by
// asking the kernel: every thread of the process other than the caller is
// sleeping (not runnable, not in uninterruptible I/O), and a caller-supplied
// activity counter (bumped on each gate arrival and lane completion) did not
// move across consecutive samples. A thread woken by another is runnable
// before the waker returns, so a wake-up chain cannot slip between samples.
// Linux only (/proc/self/task); tests/sim is not built on Windows.
//
//   bool quiet = WaitUntilQuiet([&] { return gate->activity(); }, absl::Seconds(5));
#ifndef HWSNAP_TESTS_SIM_QUIESCENCE_H_
#define HWSNAP_TESTS_SIM_QUIESCENCE_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace hwsnap::sim {

// Waits until quiet (see the file comment); false when `limit` passed first.
bool WaitUntilQuiet(const std::function<std::uint64_t()>& activity, absl::Duration limit);

// Threads of this process right now.
int ProcessThreadCount();

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_QUIESCENCE_H_
