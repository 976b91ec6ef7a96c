// The Windows NVMe transport (hwsnap/nvme/storage_protocol_transport.h): a
// handle on \\.\PhysicalDriveN and one DeviceIoControl per command. Buffer
// layouts and their decoding are in storage_protocol_request.cc; Windows
// error codes become a Status only in WindowsError.
#include "hwsnap/nvme/storage_protocol_transport.h"

#include <windows.h>
#include <winioctl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "hwsnap/status.h"
#include "src/storage_protocol_request.h"

namespace hwsnap::nvme {
namespace {

// The one place Windows error codes become a Status in this file.
absl::Status WindowsError(absl::string_view what, DWORD code) {
  char* text = nullptr;
  const DWORD length = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<char*>(&text), 0, nullptr);
  std::string detail = length > 0 && text != nullptr ? std::string(text, length) : "";
  if (text != nullptr) LocalFree(text);
  detail = std::string(absl::StripAsciiWhitespace(detail));
  const std::string message = absl::StrFormat("%s: %s (Windows error %u)", what,
                                              detail.empty() ? "no description" : detail, code);
  switch (code) {
    case ERROR_SEM_TIMEOUT:
    case ERROR_TIMEOUT:
      return DeadlineExceededError(message);
    case ERROR_INVALID_FUNCTION:
    case ERROR_NOT_SUPPORTED:
      return NotSupportedError(absl::StrCat(
          message, "; Windows' NVMe driver passes through only commands the controller lists in "
                   "its Commands Supported and Effects log"));
    default:
      return BackendFailureError(message);
  }
}

std::string Describe(const NvmeCommand& command, absl::string_view device) {
  return absl::StrFormat("NVMe %s command 0x%02x nsid %u to %s",
                         command.queue == NvmeQueue::kAdmin ? "admin" : "I/O", command.opcode,
                         command.nsid, device);
}

class StorageProtocolTransport final : public NvmeTransport {
 public:
  StorageProtocolTransport(std::string path, HANDLE handle) : path_(std::move(path)), handle_(handle) {}
  ~StorageProtocolTransport() override { CloseHandle(handle_); }
  StorageProtocolTransport(const StorageProtocolTransport&) = delete;
  StorageProtocolTransport& operator=(const StorageProtocolTransport&) = delete;

  std::string Address() const override { return path_; }
  std::uint32_t nsid() const override { return 0; }

  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) override {
    const std::string what = Describe(command, path_);
    if (absl::Status valid = ValidateNvmeCommand(
            command, {"storage protocol command", kStorageProtocolMaxTransferBytes});
        !valid.ok()) {
      return Annotate(valid, what);
    }
    if (command.queue == NvmeQueue::kIo) {
      return NotSupportedError(absl::StrCat(
          what, ": Windows does not carry NVMe I/O commands to a chosen namespace (it routes I/O "
                "per disk; NVMe I/O pass-through is limited to vendor-specific commands on the "
                "disk's own namespace)"));
    }
    if (ChooseStorageProtocolRoute(command) == StorageProtocolRoute::kIdentifyQuery) {
      return Identify(command, what);
    }
    absl::StatusOr<std::vector<std::uint8_t>> buffer = BuildStorageProtocolCommand(command);
    if (!buffer.ok()) return Annotate(buffer.status(), what);
    DWORD returned = 0;
    if (!DeviceIoControl(handle_, IOCTL_STORAGE_PROTOCOL_COMMAND, buffer->data(),
                         static_cast<DWORD>(buffer->size()), buffer->data(),
                         static_cast<DWORD>(buffer->size()), &returned, nullptr)) {
      return WindowsError(absl::StrCat(what, ": IOCTL_STORAGE_PROTOCOL_COMMAND"), GetLastError());
    }
    absl::StatusOr<NvmeCompletion> completion = DecodeStorageProtocolCommand(command, *buffer);
    if (!completion.ok()) return Annotate(completion.status(), what);
    return completion;
  }

  absl::Status Rescan() override { return absl::OkStatus(); }

 private:
  absl::StatusOr<NvmeCompletion> Identify(const NvmeCommand& command, const std::string& what) {
    absl::StatusOr<std::vector<std::uint8_t>> buffer = BuildIdentifyQuery(command);
    if (!buffer.ok()) return Annotate(buffer.status(), what);
    DWORD returned = 0;
    if (!DeviceIoControl(handle_, IOCTL_STORAGE_QUERY_PROPERTY, buffer->data(),
                         static_cast<DWORD>(buffer->size()), buffer->data(),
                         static_cast<DWORD>(buffer->size()), &returned, nullptr)) {
      return WindowsError(absl::StrCat(what, ": IOCTL_STORAGE_QUERY_PROPERTY (Identify)"),
                          GetLastError());
    }
    absl::StatusOr<NvmeCompletion> completion = DecodeIdentifyQuery(command, *buffer, returned);
    if (!completion.ok()) return Annotate(completion.status(), what);
    return completion;
  }

  const std::string path_;
  const HANDLE handle_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenStorageProtocolTransport(
    const std::string& device_path) {
  // The address parser admits only ASCII device paths.
  const std::wstring wide(device_path.begin(), device_path.end());
  HANDLE handle = CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    const DWORD code = GetLastError();
    absl::Status status = WindowsError(absl::StrCat("open ", device_path), code);
    // Cannot open is always kBackendFailure (OpenNvmeTransport's contract).
    return BackendFailureError(status.message());
  }
  return std::unique_ptr<NvmeTransport>(std::make_unique<StorageProtocolTransport>(device_path, handle));
}

}  // namespace hwsnap::nvme
