// com_thread.h — a second caller, as VSS has: a thread in the MTA.
//
// This file exists for the races VSS creates on purpose: EndPrepareSnapshots
// blocks on one thread while AbortSnapshots (or a new set's
// BeginPrepareSnapshot) arrives on another. ComThread runs one job on its own
// thread, joined to the multithreaded apartment (so the provider's interface
// pointers are usable there directly), and lets the scenario wait for it with
// a bound instead of forever.
//
//   ComThread waiter([&] { vss.EndPrepareSnapshots(set, Expect::Failure(), true); });
//   ... vss.AbortSnapshots(set, Expect::Ok()); ...
//   if (!waiter.WaitFor(std::chrono::seconds(10))) AbandonRun(timeline, "EndPrepareSnapshots never returned");
#ifndef HWSNAP_TOOLS_VSS_DRIVER_COM_THREAD_H_
#define HWSNAP_TOOLS_VSS_DRIVER_COM_THREAD_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "timeline.h"

namespace hwsnap {
namespace vss_driver {

class ComThread {
 public:
  // Starts `job` at once on a new thread inside the MTA.
  explicit ComThread(std::function<void()> job);
  // Joins the thread if it has finished. A thread still running here is a
  // scenario bug (it must WaitFor and AbandonRun first): the process ends.
  ~ComThread();
  ComThread(const ComThread&) = delete;
  ComThread& operator=(const ComThread&) = delete;

  // True once the job has returned.
  bool finished() const;
  // Waits up to `timeout` for the job; true when it has returned.
  bool WaitFor(std::chrono::milliseconds timeout);

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  std::shared_ptr<State> state_;
  std::thread thread_;
};

// Ends the process at once with exit status 3 after printing `why` and the
// summary: used when a provider call never returns, since a thread stuck in
// the provider can neither be joined nor safely left behind.
[[noreturn]] void AbandonRun(Timeline& timeline, const std::string& scenario, const std::string& why);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_COM_THREAD_H_
