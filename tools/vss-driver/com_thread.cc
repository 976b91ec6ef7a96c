// A job on its own MTA thread (see com_thread.h).
#include "com_thread.h"

#include <windows.h>

#include <cstdio>
#include <utility>

#include "com_session.h"

namespace hwsnap {
namespace vss_driver {

ComThread::ComThread(std::function<void()> job) : state_(std::make_shared<State>()) {
  thread_ = std::thread([state = state_, job = std::move(job)] {
    {
      ComApartment apartment;
      job();
    }
    std::lock_guard<std::mutex> lock(state->mu);
    state->done = true;
    state->cv.notify_all();
  });
}

ComThread::~ComThread() {
  if (!finished()) {
    std::fprintf(stderr, "hwsnap-vss-driver: a provider call is still running at scenario end\n");
    std::fflush(stdout);
    std::fflush(stderr);
    TerminateProcess(GetCurrentProcess(), 3);
  }
  thread_.join();
}

bool ComThread::finished() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->done;
}

bool ComThread::WaitFor(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->done; });
}

void AbandonRun(Timeline& timeline, const std::string& scenario, const std::string& why) {
  timeline.Fail(why);
  timeline.PrintSummary(scenario);
  std::fflush(stdout);
  std::fflush(stderr);
  // Not ExitProcess: DLL detach would run while a thread is inside the provider.
  TerminateProcess(GetCurrentProcess(), 3);
  for (;;) Sleep(INFINITE);
}

}  // namespace vss_driver
}  // namespace hwsnap
