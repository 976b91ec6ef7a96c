// call_lane.h — a thread that makes VSS calls for the director.
//
// VSS calls into the provider from its own threads: the requester's
// sequence on one, AbortSnapshots possibly from another while the first is
// blocked. A CallLane is one such thread. The director posts one call at a
// time; the lane runs it (it may block inside the provider for as long as
// the director keeps backend ops parked) and marks it done. The director
// learns of completions only at quiescent points, and handles them in lane
// order, never in completion order.
//
//   CallLane lane("requester");
//   lane.Post([&] { status = provider.EndPrepareSnapshots(set); });
//   ... WaitUntilQuiet(...) ...
//   if (lane.TakeDone()) ...
#ifndef HWSNAP_TESTS_SIM_CALL_LANE_H_
#define HWSNAP_TESTS_SIM_CALL_LANE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace hwsnap::sim {

class CallLane {
 public:
  explicit CallLane(std::string name);
  ~CallLane();  // joins (the current call must have returned)
  CallLane(const CallLane&) = delete;
  CallLane& operator=(const CallLane&) = delete;

  const std::string& name() const { return name_; }
  // Runs `call` on the lane's thread. Requires !busy().
  void Post(std::function<void()> call);
  // A call was posted and its completion not yet taken.
  bool busy() const;
  // True once after the posted call returned; the lane is idle again.
  bool TakeDone();
  // Bumped when a call returns (for quiescence detection).
  std::uint64_t activity() const { return activity_.load(); }

 private:
  void Loop();

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> call_;
  bool posted_ = false;   // a call waiting to start or running
  bool done_ = false;     // returned, not yet taken
  bool stop_ = false;
  std::atomic<std::uint64_t> activity_{0};
  std::thread thread_;
};

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_CALL_LANE_H_
