// The Windows SCSI pass-through transport (hwsnap/scsi/spti_transport.h): a
// handle on \\.\PhysicalDriveN and one DeviceIoControl(IOCTL_SCSI_PASS_THROUGH_DIRECT)
// per command. The request layout and decoding are in spti_request.cc;
// Windows error codes become a Status only in WindowsError.
#include "hwsnap/scsi/spti_transport.h"

#include <windows.h>
#include <ntddscsi.h>
#include <winioctl.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "hwsnap/status.h"
#include "src/spti_request.h"

namespace hwsnap::scsi {
namespace {

// Data buffers are aligned to a page, which satisfies any adapter's
// AlignmentMask.
constexpr std::size_t kDataAlignment = 4096;
// Largest STORAGE_BUS_TYPE value that VDS_STORAGE_BUS_TYPE shares (BusTypeUfs).
constexpr std::uint32_t kLastKnownBusType = 0x13;

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
  if (code == ERROR_SEM_TIMEOUT || code == ERROR_TIMEOUT) return DeadlineExceededError(message);
  return BackendFailureError(message);
}

// The bus the storage stack reports for the disk, or kScsi when it does not say.
BusType QueryBusType(HANDLE handle) {
  STORAGE_PROPERTY_QUERY query{};
  query.PropertyId = StorageDeviceProperty;
  query.QueryType = PropertyStandardQuery;
  alignas(STORAGE_DEVICE_DESCRIPTOR) unsigned char out[1024] = {};
  DWORD returned = 0;
  if (!DeviceIoControl(handle, IOCTL_STORAGE_QUERY_PROPERTY, &query, sizeof(query), out,
                       sizeof(out), &returned, nullptr) ||
      returned < offsetof(STORAGE_DEVICE_DESCRIPTOR, BusType) + sizeof(STORAGE_BUS_TYPE)) {
    return BusType::kScsi;
  }
  const auto* descriptor = reinterpret_cast<const STORAGE_DEVICE_DESCRIPTOR*>(out);
  const auto bus = static_cast<std::uint32_t>(descriptor->BusType);
  if (bus == 0 || bus > kLastKnownBusType) return BusType::kScsi;
  return static_cast<BusType>(bus);
}

class SptiTransport final : public ScsiTransport {
 public:
  SptiTransport(std::string path, HANDLE handle, BusType bus)
      : path_(std::move(path)), handle_(handle), bus_(bus) {}
  ~SptiTransport() override { CloseHandle(handle_); }
  SptiTransport(const SptiTransport&) = delete;
  SptiTransport& operator=(const SptiTransport&) = delete;

  std::string Address() const override { return path_; }
  BusType bus_type() const override { return bus_; }

  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    const std::string what = absl::StrFormat("SCSI command 0x%02x to %s",
                                             command.cdb.empty() ? 0 : command.cdb[0], path_);
    absl::StatusOr<SptiRequest> request = PlanSptiRequest(command);
    if (!request.ok()) return Annotate(request.status(), what);

    const std::size_t length = request->data_transfer_length;
    std::vector<unsigned char> storage(length + kDataAlignment);
    const auto base = reinterpret_cast<std::uintptr_t>(storage.data());
    unsigned char* data =
        storage.data() + ((kDataAlignment - base % kDataAlignment) % kDataAlignment);
    if (command.direction == DataDirection::kToDevice) {
      std::copy(command.data_out.begin(), command.data_out.end(), data);
    }

    SptiDirectBuffer buffer;
    BuildSptiDirect(*request, data, &buffer);
    DWORD returned = 0;
    if (!DeviceIoControl(handle_, IOCTL_SCSI_PASS_THROUGH_DIRECT, &buffer, sizeof(buffer),
                         &buffer, sizeof(buffer), &returned, nullptr)) {
      return WindowsError(what, GetLastError());
    }
    return DecodeSptiCompletion(*request, ReadSptiCompletion(buffer),
                                absl::MakeConstSpan(data, length),
                                absl::MakeConstSpan(buffer.sense, sizeof(buffer.sense)));
  }

 private:
  const std::string path_;
  const HANDLE handle_;
  const BusType bus_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenSptiTransport(const std::string& device_path) {
  // The address parser admits only ASCII device paths.
  const std::wstring wide(device_path.begin(), device_path.end());
  HANDLE handle = CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return WindowsError(absl::StrCat("open ", device_path), GetLastError());
  }
  const BusType bus = QueryBusType(handle);
  return std::unique_ptr<ScsiTransport>(std::make_unique<SptiTransport>(device_path, handle, bus));
}

}  // namespace hwsnap::scsi
