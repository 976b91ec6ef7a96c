// Thread states from /proc/self/task (see quiescence.h).
#include "quiescence.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/time/clock.h"

namespace hwsnap::sim {
namespace {

// True when every thread but `self` sleeps. Counts threads in `*count`.
bool OthersAsleep(long self, int* count) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return false;
  bool asleep = true;
  int n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    ++n;
    const long tid = std::strtol(entry->d_name, nullptr, 10);
    if (tid == self || !asleep) continue;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", tid);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // the thread just exited
    char buf[512];
    const ssize_t len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = '\0';
    // "tid (comm) S ...": comm may hold spaces and parentheses; the state
    // follows the last ')'.
    const char* close_paren = std::strrchr(buf, ')');
    if (close_paren == nullptr || close_paren[1] == '\0') continue;
    const char state = close_paren[2];
    if (state == 'R' || state == 'D' || state == 'W') asleep = false;
  }
  closedir(dir);
  if (count != nullptr) *count = n;
  return asleep;
}

}  // namespace

bool WaitUntilQuiet(const std::function<std::uint64_t()>& activity, absl::Duration limit) {
  const long self = syscall(SYS_gettid);
  const absl::Time until = absl::Now() + limit;
  int calm = 0;
  std::uint64_t last = activity();
  while (absl::Now() < until) {
    const bool asleep = OthersAsleep(self, nullptr);
    const std::uint64_t now = activity();
    if (asleep && now == last) {
      // Three calm samples in a row, a little apart.
      if (++calm >= 3) return true;
    } else {
      calm = 0;
    }
    last = now;
    usleep(calm > 0 ? 40 : 20);
  }
  return false;
}

int ProcessThreadCount() {
  int n = 0;
  OthersAsleep(-1, &n);
  return n;
}

}  // namespace hwsnap::sim
