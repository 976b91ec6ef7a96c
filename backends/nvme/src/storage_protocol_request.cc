// Builds and decodes the Windows NVMe request buffers (storage_protocol_request.h). Pure.
#include "src/storage_protocol_request.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

#if defined(_WIN32)
#include <windows.h>
#include <winioctl.h>
#include <nvme.h>
#endif

namespace hwsnap::nvme {

#if defined(_WIN32)
// Where MinGW declares the structures, they must agree with the constants.
static_assert(StorageAdapterProtocolSpecificProperty == kStorageAdapterProtocolSpecificProperty);
static_assert(StorageDeviceProtocolSpecificProperty == kStorageDeviceProtocolSpecificProperty);
static_assert(PropertyStandardQuery == kPropertyStandardQuery);
static_assert(ProtocolTypeNvme == kProtocolTypeNvme);
static_assert(NVMeDataTypeIdentify == kNvmeDataTypeIdentify);
static_assert(offsetof(STORAGE_PROPERTY_QUERY, AdditionalParameters) == kPropertyQuerySpecificDataOffset);
static_assert(sizeof(STORAGE_PROTOCOL_SPECIFIC_DATA) == kProtocolSpecificDataSize);
static_assert(sizeof(STORAGE_PROTOCOL_DATA_DESCRIPTOR) == kProtocolDataDescriptorSize);
static_assert(offsetof(STORAGE_PROTOCOL_DATA_DESCRIPTOR, ProtocolSpecificData) ==
              kDescriptorSpecificDataOffset);
static_assert(offsetof(STORAGE_PROTOCOL_SPECIFIC_DATA, ProtocolDataRequestSubValue) ==
              ProtocolSpecificDataField::kRequestSubValue);
static_assert(offsetof(STORAGE_PROTOCOL_SPECIFIC_DATA, ProtocolDataOffset) ==
              ProtocolSpecificDataField::kProtocolDataOffset);
static_assert(offsetof(STORAGE_PROTOCOL_SPECIFIC_DATA, FixedProtocolReturnData) ==
              ProtocolSpecificDataField::kFixedProtocolReturnData);
static_assert(offsetof(STORAGE_PROTOCOL_SPECIFIC_DATA, ProtocolDataRequestSubValue4) ==
              ProtocolSpecificDataField::kRequestSubValue4);
static_assert(sizeof(NVME_COMMAND) == 64);
static_assert(sizeof(NVME_ERROR_INFO_LOG) == kNvmeErrorInfoBytes);
static_assert(offsetof(NVME_ERROR_INFO_LOG, Status) == 12);
#endif

namespace {

using Field = StorageProtocolCommandField;
using SpecificField = ProtocolSpecificDataField;

constexpr std::uint8_t kOpIdentifyCode = 0x06;
// NVME_ERROR_INFO_LOG.Status: the completion's status word (bit 0 phase tag).
constexpr std::size_t kErrorInfoStatusOffset = 12;

std::uint32_t Cns(const NvmeCommand& command) { return command.cdw10 & 0xff; }

std::uint32_t TimeoutSeconds(absl::Duration timeout) {
  const std::int64_t seconds = absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1)));
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(seconds, 1, kStorageProtocolMaxTimeoutSeconds));
}

absl::string_view ReturnStatusName(std::uint32_t status) {
  switch (status) {
    case kStorageProtocolStatusPending: return "STORAGE_PROTOCOL_STATUS_PENDING";
    case kStorageProtocolStatusSuccess: return "STORAGE_PROTOCOL_STATUS_SUCCESS";
    case kStorageProtocolStatusError: return "STORAGE_PROTOCOL_STATUS_ERROR";
    case kStorageProtocolStatusInvalidRequest: return "STORAGE_PROTOCOL_STATUS_INVALID_REQUEST";
    case kStorageProtocolStatusNoDevice: return "STORAGE_PROTOCOL_STATUS_NO_DEVICE";
    case kStorageProtocolStatusBusy: return "STORAGE_PROTOCOL_STATUS_BUSY";
    case kStorageProtocolStatusDataOverrun: return "STORAGE_PROTOCOL_STATUS_DATA_OVERRUN";
    case kStorageProtocolStatusInsufficientResources:
      return "STORAGE_PROTOCOL_STATUS_INSUFFICIENT_RESOURCES";
    case kStorageProtocolStatusThrottledRequest: return "STORAGE_PROTOCOL_STATUS_THROTTLED_REQUEST";
    case kStorageProtocolStatusNotSupported: return "STORAGE_PROTOCOL_STATUS_NOT_SUPPORTED";
    default: return "unknown status";
  }
}

}  // namespace

std::uint32_t LoadLe32(absl::Span<const std::uint8_t> bytes, std::size_t offset) {
  return static_cast<std::uint32_t>(bytes[offset]) |
         (static_cast<std::uint32_t>(bytes[offset + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[offset + 2]) << 16) |
         (static_cast<std::uint32_t>(bytes[offset + 3]) << 24);
}

void StoreLe32(std::vector<std::uint8_t>* bytes, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) (*bytes)[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

StorageProtocolRoute ChooseStorageProtocolRoute(const NvmeCommand& command) {
  const bool identify_query =
      command.queue == NvmeQueue::kAdmin && command.opcode == kOpIdentifyCode &&
      (command.cdw10 & 0xffffff00u) == 0 && (Cns(command) == 0x00 || Cns(command) == 0x01) &&
      command.cdw2 == 0 && command.cdw3 == 0 && command.cdw11 == 0 && command.cdw12 == 0 &&
      command.cdw13 == 0 && command.cdw14 == 0 && command.cdw15 == 0 &&
      command.direction == NvmeDataDirection::kFromDevice && command.data_in_length > 0 &&
      command.data_in_length <= kIdentifyDataBytes;
  return identify_query ? StorageProtocolRoute::kIdentifyQuery : StorageProtocolRoute::kProtocolCommand;
}

absl::StatusOr<std::vector<std::uint8_t>> BuildIdentifyQuery(const NvmeCommand& command) {
  if (absl::Status valid = ValidateNvmeCommand(command, {"IOCTL_STORAGE_QUERY_PROPERTY", kIdentifyDataBytes});
      !valid.ok()) {
    return valid;
  }
  if (ChooseStorageProtocolRoute(command) != StorageProtocolRoute::kIdentifyQuery) {
    return InvalidArgumentError(absl::StrFormat(
        "NVMe command 0x%02x (CDW10 0x%08x) is not an Identify CNS 00h/01h the property query carries",
        command.opcode, command.cdw10));
  }
  const bool controller = Cns(command) == 0x01;
  std::vector<std::uint8_t> buffer(kPropertyQuerySpecificDataOffset + kProtocolSpecificDataSize +
                                   kIdentifyDataBytes);
  StoreLe32(&buffer, 0,
            controller ? kStorageAdapterProtocolSpecificProperty : kStorageDeviceProtocolSpecificProperty);
  StoreLe32(&buffer, 4, kPropertyStandardQuery);
  const std::size_t s = kPropertyQuerySpecificDataOffset;
  StoreLe32(&buffer, s + SpecificField::kProtocolType, kProtocolTypeNvme);
  StoreLe32(&buffer, s + SpecificField::kDataType, kNvmeDataTypeIdentify);
  StoreLe32(&buffer, s + SpecificField::kRequestValue, Cns(command));
  StoreLe32(&buffer, s + SpecificField::kRequestSubValue, command.nsid);
  StoreLe32(&buffer, s + SpecificField::kProtocolDataOffset, kProtocolSpecificDataSize);
  StoreLe32(&buffer, s + SpecificField::kProtocolDataLength, kIdentifyDataBytes);
  return buffer;
}

absl::StatusOr<NvmeCompletion> DecodeIdentifyQuery(const NvmeCommand& command,
                                                   absl::Span<const std::uint8_t> buffer,
                                                   std::uint32_t returned) {
  const std::size_t available = std::min<std::size_t>(returned, buffer.size());
  if (available < kProtocolDataDescriptorSize) {
    return BackendFailureError(absl::StrCat("Identify query returned ", returned,
                                            " bytes, less than a STORAGE_PROTOCOL_DATA_DESCRIPTOR"));
  }
  const std::uint32_t version = LoadLe32(buffer, 0);
  const std::uint32_t size = LoadLe32(buffer, 4);
  if (version != kProtocolDataDescriptorSize || size != kProtocolDataDescriptorSize) {
    return BackendFailureError(absl::StrCat("Identify query returned a descriptor of version ", version,
                                            " and size ", size, "; expected ",
                                            kProtocolDataDescriptorSize));
  }
  const std::size_t s = kDescriptorSpecificDataOffset;
  const std::uint32_t data_offset = LoadLe32(buffer, s + SpecificField::kProtocolDataOffset);
  const std::uint32_t data_length = LoadLe32(buffer, s + SpecificField::kProtocolDataLength);
  const std::size_t start = s + static_cast<std::size_t>(data_offset);
  if (data_offset < kProtocolSpecificDataSize || start > available ||
      data_length > available - start) {
    return BackendFailureError(absl::StrCat("Identify query data (offset ", data_offset, ", length ",
                                            data_length, ") lies outside the ", returned,
                                            " bytes returned"));
  }
  if (data_length < command.data_in_length) {
    return BackendFailureError(absl::StrCat("Identify query returned ", data_length,
                                            " bytes of Identify data; ", command.data_in_length,
                                            " expected"));
  }
  NvmeCompletion completion;
  completion.result = LoadLe32(buffer, s + SpecificField::kFixedProtocolReturnData);
  completion.data_in.assign(buffer.begin() + start, buffer.begin() + start + command.data_in_length);
  return completion;
}

std::vector<std::uint8_t> EncodeNvmeSubmissionEntry(const NvmeCommand& command) {
  std::vector<std::uint8_t> entry(kStorageProtocolCommandLengthNvme, 0);
  entry[0] = command.opcode;  // CDW0: OPC; FUSE/PSDT and CID are the driver's
  StoreLe32(&entry, 4, command.nsid);
  StoreLe32(&entry, 8, command.cdw2);
  StoreLe32(&entry, 12, command.cdw3);
  // 16..23 MPTR, 24..39 PRP1/PRP2: filled in by the driver.
  StoreLe32(&entry, 40, command.cdw10);
  StoreLe32(&entry, 44, command.cdw11);
  StoreLe32(&entry, 48, command.cdw12);
  StoreLe32(&entry, 52, command.cdw13);
  StoreLe32(&entry, 56, command.cdw14);
  StoreLe32(&entry, 60, command.cdw15);
  return entry;
}

absl::StatusOr<std::vector<std::uint8_t>> BuildStorageProtocolCommand(const NvmeCommand& command) {
  if (absl::Status valid = ValidateNvmeCommand(
          command, {"IOCTL_STORAGE_PROTOCOL_COMMAND", kStorageProtocolMaxTransferBytes});
      !valid.ok()) {
    return valid;
  }
  const std::uint32_t to_device =
      command.direction == NvmeDataDirection::kToDevice ? static_cast<std::uint32_t>(command.data_out.size()) : 0;
  const std::uint32_t from_device =
      command.direction == NvmeDataDirection::kFromDevice ? command.data_in_length : 0;
  std::vector<std::uint8_t> buffer(kStorageProtocolDataOffset + to_device + from_device, 0);
  const bool admin = command.queue == NvmeQueue::kAdmin;
  StoreLe32(&buffer, Field::kVersion, kStorageProtocolStructureVersion);
  StoreLe32(&buffer, Field::kLength, kStorageProtocolCommandSize);
  StoreLe32(&buffer, Field::kProtocolType, kProtocolTypeNvme);
  StoreLe32(&buffer, Field::kFlags, admin ? kStorageProtocolFlagAdapterRequest : 0);
  StoreLe32(&buffer, Field::kCommandLength, kStorageProtocolCommandLengthNvme);
  StoreLe32(&buffer, Field::kErrorInfoLength, kNvmeErrorInfoBytes);
  StoreLe32(&buffer, Field::kErrorInfoOffset, static_cast<std::uint32_t>(kStorageProtocolErrorInfoOffset));
  StoreLe32(&buffer, Field::kDataToDeviceTransferLength, to_device);
  StoreLe32(&buffer, Field::kDataFromDeviceTransferLength, from_device);
  StoreLe32(&buffer, Field::kDataToDeviceBufferOffset,
            to_device ? static_cast<std::uint32_t>(kStorageProtocolDataOffset) : 0);
  StoreLe32(&buffer, Field::kDataFromDeviceBufferOffset,
            from_device ? static_cast<std::uint32_t>(kStorageProtocolDataOffset) : 0);
  StoreLe32(&buffer, Field::kTimeOutValue, TimeoutSeconds(command.timeout));
  StoreLe32(&buffer, Field::kCommandSpecific,
            admin ? kStorageProtocolSpecificNvmeAdmin : kStorageProtocolSpecificNvmeNvm);
  const std::vector<std::uint8_t> entry = EncodeNvmeSubmissionEntry(command);
  std::copy(entry.begin(), entry.end(), buffer.begin() + kStorageProtocolNvmeCommandOffset);
  std::copy(command.data_out.begin(), command.data_out.begin() + to_device,
            buffer.begin() + kStorageProtocolDataOffset);
  return buffer;
}

absl::StatusOr<NvmeCompletion> DecodeStorageProtocolCommand(const NvmeCommand& command,
                                                            absl::Span<const std::uint8_t> buffer) {
  if (buffer.size() < kStorageProtocolDataOffset) {
    return BackendFailureError("storage protocol command buffer shorter than its header");
  }
  const std::uint32_t status = LoadLe32(buffer, Field::kReturnStatus);
  const std::uint32_t error_code = LoadLe32(buffer, Field::kErrorCode);
  NvmeCompletion completion;
  completion.result = LoadLe32(buffer, Field::kFixedProtocolReturnData);
  switch (status) {
    case kStorageProtocolStatusSuccess: {
      if (command.direction == NvmeDataDirection::kFromDevice) {
        const std::size_t offset = LoadLe32(buffer, Field::kDataFromDeviceBufferOffset);
        const std::size_t reported = LoadLe32(buffer, Field::kDataFromDeviceTransferLength);
        if (offset > buffer.size()) {
          return BackendFailureError("storage protocol command: data offset beyond the buffer");
        }
        const std::size_t n =
            std::min<std::size_t>({reported, command.data_in_length, buffer.size() - offset});
        completion.data_in.assign(buffer.begin() + offset, buffer.begin() + offset + n);
      }
      return completion;
    }
    case kStorageProtocolStatusError: {
      const std::uint32_t word = static_cast<std::uint32_t>(buffer[kStorageProtocolErrorInfoOffset + kErrorInfoStatusOffset]) |
                                 (static_cast<std::uint32_t>(buffer[kStorageProtocolErrorInfoOffset + kErrorInfoStatusOffset + 1]) << 8);
      const std::uint16_t field = static_cast<std::uint16_t>(word >> 1);  // drop the phase tag
      if ((field & 0x7ff) == 0) {
        return BackendFailureError(absl::StrFormat(
            "%s without an NVMe status in the error information (ErrorCode 0x%08x)",
            ReturnStatusName(status), error_code));
      }
      completion.status.raw = field;
      return completion;
    }
    case kStorageProtocolStatusNotSupported:
      return NotSupportedError(absl::StrFormat(
          "Windows' NVMe driver does not pass this command through (%s, ErrorCode 0x%08x)",
          ReturnStatusName(status), error_code));
    default:
      return BackendFailureError(absl::StrFormat("storage protocol command ended with %s (0x%x), ErrorCode 0x%08x",
                                                 ReturnStatusName(status), status, error_code));
  }
}

}  // namespace hwsnap::nvme
