// The libiscsi transport (hwsnap/scsi/libiscsi_transport.h): one iSCSI
// session driven through libiscsi's non-blocking API by a poll loop of our
// own, so that login and every command end at their deadline. libiscsi's
// failures become a Status in exactly one place, LibiscsiError.
#include "hwsnap/scsi/libiscsi_transport.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

// The longest sense data SPC allows (also SG_IO's buffer).
constexpr std::size_t kMaxSenseLength = 252;
// How long the destructor waits for the target to confirm a logout.
constexpr absl::Duration kLogoutBound = absl::Milliseconds(500);
// poll() wakes at least this often so libiscsi can run its own timers.
constexpr std::int64_t kMaxPollMs = 1000;

spdlog::logger& Log() {
  static const auto* const logger = new std::shared_ptr<spdlog::logger>(GetLogger("scsi.iscsi"));
  return **logger;
}

// The one place libiscsi (and the poll loop's errno) become a Status: `what`
// failed; the detail is errno's text when `err` is set, else libiscsi's last
// error on `context`.
absl::Status LibiscsiError(absl::string_view what, iscsi_context* context, int err = 0) {
  std::string detail;
  if (err != 0) {
    detail = std::strerror(err);
  } else if (context != nullptr) {
    const char* text = iscsi_get_error(context);
    if (text != nullptr) detail = text;
  }
  if (detail.empty()) detail = "libiscsi reported no detail";
  return BackendFailureError(absl::StrCat(what, ": ", detail));
}

struct ContextDeleter {
  void operator()(iscsi_context* context) const { iscsi_destroy_context(context); }
};
using ContextPtr = std::unique_ptr<iscsi_context, ContextDeleter>;

struct TaskDeleter {
  void operator()(scsi_task* task) const { scsi_free_scsi_task(task); }
};
using TaskPtr = std::unique_ptr<scsi_task, TaskDeleter>;

// libiscsi writes with writev(), which raises SIGPIPE when the target has
// gone. The host process must not die of that: block SIGPIPE on this thread
// while libiscsi runs and consume one it raised.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    already_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeBlock() {
    if (!blocked_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (!already_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec no_wait{0, 0};
      sigtimedwait(&pipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool blocked_ = false;
  bool already_pending_ = false;
};

// Completion of one asynchronous libiscsi call.
struct Completion {
  bool done = false;
  int status = 0;
};

void OnComplete(iscsi_context* /*context*/, int status, void* /*data*/, void* private_data) {
  auto* completion = static_cast<Completion*>(private_data);
  completion->done = true;
  completion->status = status;
}

bool IsScsiStatus(int status) {
  switch (status) {
    case SCSI_STATUS_GOOD:
    case SCSI_STATUS_CHECK_CONDITION:
    case SCSI_STATUS_CONDITION_MET:
    case SCSI_STATUS_BUSY:
    case SCSI_STATUS_RESERVATION_CONFLICT:
    case SCSI_STATUS_TASK_SET_FULL:
    case SCSI_STATUS_ACA_ACTIVE:
    case SCSI_STATUS_TASK_ABORTED:
      return true;
    default:
      return false;
  }
}

constexpr std::uint8_t kSenseIllegalRequest = 0x05;
constexpr std::uint8_t kSenseUnitAttention = 0x06;
constexpr std::uint8_t kAscLunNotSupported = 0x25;

struct SenseKeyAndCode {
  std::uint8_t key = 0;
  std::uint8_t asc = 0;
};

// Just the sense key and additional sense code, fixed or descriptor format
// (SPC-4 4.5); enough for the transport's own TEST UNIT READY. Everything
// else classifies sense through hwsnap/scsi/sense.h.
SenseKeyAndCode ReadSenseKey(const std::vector<std::uint8_t>& sense) {
  SenseKeyAndCode out;
  if (sense.empty()) return out;
  const std::uint8_t code = sense[0] & 0x7f;
  if ((code == 0x70 || code == 0x71) && sense.size() >= 13) {
    out.key = sense[2] & 0x0f;
    out.asc = sense[12];
  } else if ((code == 0x72 || code == 0x73) && sense.size() >= 3) {
    out.key = sense[1] & 0x0f;
    out.asc = sense[2];
  }
  return out;
}

absl::Status CheckCommand(const ScsiCommand& command) {
  return ValidateScsiCommand(command, {"libiscsi", SCSI_CDB_MAX_SIZE,
                                       static_cast<std::uint64_t>(std::numeric_limits<int>::max())});
}

class LibiscsiTransport final : public ScsiTransport {
 public:
  LibiscsiTransport(const IscsiAddress& address, const TransportOptions& options)
      : address_(address),
        options_(options),
        address_text_(absl::StrCat("iscsi://", address.Portal(), "/", address.target, "/",
                                   address.lun)) {}

  ~LibiscsiTransport() override {
    SigpipeBlock sigpipe;
    Logout();
  }

  std::string Address() const override { return address_text_; }
  BusType bus_type() const override { return BusType::kIscsi; }

  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    const std::string what = absl::StrFormat("SCSI command 0x%02x to %s",
                                             command.cdb.empty() ? 0 : command.cdb[0],
                                             address_text_);
    if (absl::Status valid = CheckCommand(command); !valid.ok()) return Annotate(valid, what);
    SigpipeBlock sigpipe;
    const absl::Time deadline = absl::Now() + command.timeout;
    absl::Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (context_ == nullptr) {
        absl::Status login = Connect(std::min(deadline, absl::Now() + options_.connect_timeout));
        if (!login.ok()) {
          return Annotate(login, absl::StrFormat("SCSI command 0x%02x", command.cdb[0]));
        }
      }
      bool link_lost = false;
      absl::StatusOr<ScsiResult> result = SendOnce(command, deadline, what, &link_lost);
      if (result.ok() || !link_lost) return result;
      last = result.status();
      if (attempt == 0) {
        Log().warn("{}; logging in again and re-sending once", last.message());
      }
    }
    return last;
  }

  // Logs in (dropping any previous session) and checks the LUN, all before
  // `deadline`. (Done step by step rather than with iscsi_full_connect_async,
  // which leaks its bookkeeping when a login is abandoned at a deadline.)
  absl::Status Connect(absl::Time deadline) {
    DropSession();
    const std::string what = absl::StrCat("log in to ", address_text_);
    ContextPtr context(iscsi_create_context(options_.initiator_name.c_str()));
    if (context == nullptr) return LibiscsiError(what, nullptr, ENOMEM);
    if (iscsi_set_targetname(context.get(), address_.target.c_str()) != 0 ||
        iscsi_set_session_type(context.get(), ISCSI_SESSION_NORMAL) != 0 ||
        iscsi_set_header_digest(context.get(), ISCSI_HEADER_DIGEST_NONE_CRC32C) != 0) {
      return LibiscsiError(what, context.get());
    }
    // Reconnecting is ours to do (once, within the command's deadline);
    // libiscsi's own reconnect retries without a bound.
    iscsi_set_noautoreconnect(context.get(), 1);
    context_ = std::move(context);
    absl::Status status = Login(address_.Portal(), deadline, what);
    if (status.ok()) status = CheckLun(deadline);
    if (!status.ok()) DropSession();
    return status;
  }

 private:
  // TCP connect to `portal`, then iSCSI login; follows up to two login
  // redirects (an array may send the initiator to another portal).
  absl::Status Login(std::string portal, absl::Time deadline, absl::string_view what) {
    for (int redirects = 0;; ++redirects) {
      connect_ = Completion{};
      if (iscsi_connect_async(context_.get(), portal.c_str(), &OnComplete, &connect_) != 0) {
        return LibiscsiError(what, context_.get());
      }
      absl::Status status = Drive(connect_, deadline, what, /*need_login=*/false);
      if (status.ok() && connect_.status != SCSI_STATUS_GOOD) {
        status = LibiscsiError(what, context_.get());
      }
      if (!status.ok()) return status;
      // A member, like connect_: a login abandoned at the deadline is still
      // queued, and destroying the context completes it into this object.
      login_ = Completion{};
      if (iscsi_login_async(context_.get(), &OnComplete, &login_) != 0) {
        return LibiscsiError(what, context_.get());
      }
      status = Drive(login_, deadline, what, /*need_login=*/false);
      if (!status.ok()) return status;
      if (login_.status == SCSI_STATUS_GOOD) return absl::OkStatus();
      const char* moved_to = iscsi_get_target_address(context_.get());
      if (login_.status != SCSI_STATUS_REDIRECT || redirects >= 2 || moved_to == nullptr ||
          *moved_to == '\0') {
        return LibiscsiError(what, context_.get());
      }
      portal = moved_to;
      iscsi_disconnect(context_.get());
    }
  }

  // TEST UNIT READY after login, as an initiator does: proves the LUN exists
  // and consumes the unit attentions a fresh session reports (power on,
  // reset), so that identity commands see none.
  absl::Status CheckLun(absl::Time deadline) {
    ScsiCommand test_unit_ready;
    test_unit_ready.cdb = {0, 0, 0, 0, 0, 0};
    const std::string what = absl::StrCat("TEST UNIT READY to ", address_text_);
    for (int attempt = 0; attempt < 4; ++attempt) {
      bool link_lost = false;
      absl::StatusOr<ScsiResult> result = SendOnce(test_unit_ready, deadline, what, &link_lost);
      if (!result.ok()) return result.status();
      if (result->status != SCSI_STATUS_CHECK_CONDITION) return absl::OkStatus();
      const SenseKeyAndCode sense = ReadSenseKey(result->sense);
      if (sense.key == kSenseUnitAttention) continue;
      if (sense.key == kSenseIllegalRequest && sense.asc == kAscLunNotSupported) {
        return BackendFailureError(absl::StrCat(address_text_, ": target ", address_.target,
                                                " has no LUN ", address_.lun));
      }
      return absl::OkStatus();  // not ready etc.: the LUN exists; commands will say more
    }
    return absl::OkStatus();
  }

  // Runs libiscsi until `completion` is done. kDeadlineExceeded when
  // `deadline` passes first; kBackendFailure when the connection fails (or,
  // with `need_login`, the session is no longer logged in).
  absl::Status Drive(const Completion& completion, absl::Time deadline, absl::string_view what,
                     bool need_login) {
    iscsi_context* context = context_.get();
    while (!completion.done) {
      if (need_login && !iscsi_is_logged_in(context)) {
        return BackendFailureError(absl::StrCat(what, ": the iSCSI session was dropped"));
      }
      const int fd = iscsi_get_fd(context);
      if (fd < 0) return BackendFailureError(absl::StrCat(what, ": not connected"));
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return DeadlineExceededError(absl::StrCat(what, ": no answer before the deadline"));
      }
      const std::int64_t wait_ms =
          std::clamp<std::int64_t>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
                                   1, kMaxPollMs);
      pollfd pfd{fd, static_cast<short>(iscsi_which_events(context)), 0};
      const int ready = poll(&pfd, 1, static_cast<int>(wait_ms));
      if (ready < 0) {
        if (errno == EINTR) continue;
        return LibiscsiError(absl::StrCat(what, ": poll"), nullptr, errno);
      }
      // libiscsi reports a failed TCP connect as "cannot reconnect"; the
      // socket's own error says why (connection refused, ...).
      int socket_error = 0;
      if (ready > 0 && (pfd.revents & (POLLERR | POLLHUP)) != 0) {
        socklen_t length = sizeof(socket_error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0) socket_error = 0;
      }
      if (iscsi_service(context, ready == 0 ? 0 : pfd.revents) < 0) {
        return LibiscsiError(what, context, socket_error);
      }
    }
    return absl::OkStatus();
  }

  // One attempt at `command` on the current session. On a failure of the
  // connection, sets *link_lost and drops the session.
  absl::StatusOr<ScsiResult> SendOnce(const ScsiCommand& command, absl::Time deadline,
                                      absl::string_view what, bool* link_lost) {
    unsigned char cdb[SCSI_CDB_MAX_SIZE] = {};
    std::copy(command.cdb.begin(), command.cdb.end(), cdb);
    int direction = SCSI_XFER_NONE;
    int expected = 0;
    if (command.direction == DataDirection::kFromDevice) {
      direction = SCSI_XFER_READ;
      expected = static_cast<int>(command.data_in_length);
    } else if (command.direction == DataDirection::kToDevice) {
      direction = SCSI_XFER_WRITE;
      expected = static_cast<int>(command.data_out.size());
    }
    TaskPtr task(scsi_create_task(static_cast<int>(command.cdb.size()), cdb, direction, expected));
    if (task == nullptr) return LibiscsiError(what, nullptr, ENOMEM);

    // libiscsi reads the data-out bytes in place until the command completes.
    std::vector<unsigned char> out(command.data_out.begin(), command.data_out.end());
    iscsi_data data_out{out.size(), out.data()};
    Completion completion;
    if (iscsi_scsi_command_async(context_.get(), static_cast<int>(address_.lun), task.get(),
                                 &OnComplete, out.empty() ? nullptr : &data_out,
                                 &completion) != 0) {
      absl::Status error = LibiscsiError(what, context_.get());
      DropSession();
      *link_lost = true;
      return error;
    }
    absl::Status driven = Drive(completion, deadline, what, /*need_login=*/true);
    if (!driven.ok()) {
      // Destroying the context cancels the task locally (its callback runs
      // now, while `completion` still exists) and closes the connection,
      // which makes the target abort it.
      DropSession();
      *link_lost = GetErrorCode(driven) != ErrorCode::kDeadlineExceeded;
      return driven;
    }
    if (!IsScsiStatus(completion.status)) {
      absl::Status error =
          completion.status == SCSI_STATUS_ERROR
              ? LibiscsiError(what, context_.get())
              : BackendFailureError(absl::StrCat(
                    what, ": the connection was lost before the command completed (libiscsi status 0x",
                    absl::Hex(completion.status), ")"));
      DropSession();
      *link_lost = true;
      return error;
    }
    return ToResult(command, completion.status, *task);
  }

  static ScsiResult ToResult(const ScsiCommand& command, int status, const scsi_task& task) {
    ScsiResult result;
    result.status = static_cast<std::uint8_t>(status);
    const unsigned char* bytes = task.datain.data;
    const std::size_t size = bytes == nullptr || task.datain.size < 0
                                 ? 0
                                 : static_cast<std::size_t>(task.datain.size);
    if (status == SCSI_STATUS_CHECK_CONDITION) {
      // The data segment of a SCSI Response: SenseLength (2 bytes, big
      // endian), then the sense data (RFC 7143 11.4.7.2).
      if (size >= 2) {
        const std::size_t length = (std::size_t{bytes[0]} << 8) | bytes[1];
        const std::size_t n = std::min({length, size - 2, kMaxSenseLength});
        result.sense.assign(bytes + 2, bytes + 2 + n);
      }
      return result;
    }
    if (command.direction == DataDirection::kFromDevice && size > 0) {
      std::size_t n = std::min<std::size_t>(size, command.data_in_length);
      if (task.residual_status == SCSI_RESIDUAL_UNDERFLOW && task.residual <= command.data_in_length) {
        n = std::min<std::size_t>(n, command.data_in_length - task.residual);
      }
      result.data_in.assign(bytes, bytes + n);
    }
    return result;
  }

  void Logout() {
    if (context_ == nullptr) return;
    if (iscsi_is_logged_in(context_.get())) {
      Completion logout;
      if (iscsi_logout_async(context_.get(), &OnComplete, &logout) == 0) {
        Drive(logout, absl::Now() + kLogoutBound, "log out", /*need_login=*/false).IgnoreError();
      }
    }
    DropSession();
  }

  void DropSession() { context_.reset(); }

  const IscsiAddress address_;
  const TransportOptions options_;
  const std::string address_text_;
  // libiscsi may call the connect callback again when a session ends, so the
  // completion lives as long as the context (declared before it: destroyed after).
  Completion connect_;
  Completion login_;
  ContextPtr context_;  // null while there is no session
};

}  // namespace

absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenLibiscsiTransport(
    const IscsiAddress& address, const TransportOptions& options) {
  if (absl::Status name = CheckIscsiName(options.initiator_name); !name.ok()) {
    return Annotate(name, "initiator name");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError("iSCSI connect timeout must be positive");
  }
  auto transport = std::make_unique<LibiscsiTransport>(address, options);
  SigpipeBlock sigpipe;
  if (absl::Status login = transport->Connect(absl::Now() + options.connect_timeout); !login.ok()) {
    return login;
  }
  return std::unique_ptr<ScsiTransport>(std::move(transport));
}

}  // namespace hwsnap::scsi
