// The platform-neutral half of the Windows NVMe transport
// (storage_protocol_transport_windows.cc): the exact bytes of the buffers
// DeviceIoControl takes and what a completed buffer means. Plain bytes in,
// plain structs out, so the layout is unit-tested on Linux and under Wine
// without a disk; the Windows build also checks every offset against the
// SDK's structures where MinGW declares them (static_assert in the .cc).
//
// Two requests carry NVMe commands through Windows' storage stack (StorNVMe):
//
//   Identify CNS 00h/01h  IOCTL_STORAGE_QUERY_PROPERTY, PropertyId
//                         StorageDeviceProtocolSpecificProperty (namespace,
//                         CNS 00h: ProtocolDataRequestSubValue = NSID) or
//                         StorageAdapterProtocolSpecificProperty (controller,
//                         CNS 01h); STORAGE_PROTOCOL_SPECIFIC_DATA {ProtocolTypeNvme,
//                         NVMeDataTypeIdentify, CNS, NSID}. These are the only
//                         Identify forms Windows documents for this query
//                         ("NVME_IDENTIFY_CNS_ACTIVE_NAMESPACES is currently
//                         not supported"; STORAGE_PROTOCOL_NVME_DATA_TYPE).
//   anything else         IOCTL_STORAGE_PROTOCOL_COMMAND with STORAGE_PROTOCOL_COMMAND:
//                         the 64-byte NVMe command, an NVME_ERROR_INFO_LOG
//                         buffer and the data, in one METHOD_BUFFERED buffer:
//
//     offset   0  STORAGE_PROTOCOL_COMMAND header (80 bytes up to Command[])
//             80  the NVMe submission queue entry (64 bytes)
//            144  error info (NVME_ERROR_INFO_LOG, 64 bytes)
//            208  data to or from the device (DataTo/FromDeviceBufferOffset)
//
//   StorNVMe passes through the commands the controller lists in its Commands
//   Supported and Effects log (and vendor-specific ones); others fail with
//   ERROR_INVALID_FUNCTION, which the transport reports as kNotSupported.
//
// STORAGE_PROTOCOL_COMMAND and its constants are missing from Debian's
// MinGW-w64 10 headers (winioctl.h has only the IOCTL code), so the layout is
// defined here from Microsoft's documentation of the structure
// (learn.microsoft.com: "STORAGE_PROTOCOL_COMMAND structure (winioctl.h)",
// "Working with NVMe drives").
#ifndef HWSNAP_NVME_SRC_STORAGE_PROTOCOL_REQUEST_H_
#define HWSNAP_NVME_SRC_STORAGE_PROTOCOL_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hwsnap/nvme/nvme_command.h"

namespace hwsnap::nvme {

// STORAGE_PROTOCOL_COMMAND (documented layout: 20 ULONGs, then Command[]).
inline constexpr std::uint32_t kStorageProtocolStructureVersion = 1;  // STORAGE_PROTOCOL_STRUCTURE_VERSION
inline constexpr std::uint32_t kStorageProtocolCommandSize = 84;      // sizeof(STORAGE_PROTOCOL_COMMAND)
inline constexpr std::size_t kStorageProtocolCommandHeaderBytes = 80;  // FIELD_OFFSET(..., Command)
inline constexpr std::uint32_t kProtocolTypeNvme = 3;                 // ProtocolTypeNvme
inline constexpr std::uint32_t kStorageProtocolFlagAdapterRequest = 0x80000000;
inline constexpr std::uint32_t kStorageProtocolCommandLengthNvme = 64;  // STORAGE_PROTOCOL_COMMAND_LENGTH_NVME
inline constexpr std::uint32_t kStorageProtocolSpecificNvmeAdmin = 1;   // ..._NVME_ADMIN_COMMAND
inline constexpr std::uint32_t kStorageProtocolSpecificNvmeNvm = 2;     // ..._NVME_NVM_COMMAND
inline constexpr std::uint32_t kNvmeErrorInfoBytes = 64;                // sizeof(NVME_ERROR_INFO_LOG)
// Where the pieces sit in the buffer this file builds.
inline constexpr std::size_t kStorageProtocolNvmeCommandOffset = kStorageProtocolCommandHeaderBytes;
inline constexpr std::size_t kStorageProtocolErrorInfoOffset = kStorageProtocolNvmeCommandOffset + 64;
inline constexpr std::size_t kStorageProtocolDataOffset = kStorageProtocolErrorInfoOffset + kNvmeErrorInfoBytes;

// Field offsets inside STORAGE_PROTOCOL_COMMAND.
struct StorageProtocolCommandField {
  static constexpr std::size_t kVersion = 0, kLength = 4, kProtocolType = 8, kFlags = 12,
                               kReturnStatus = 16, kErrorCode = 20, kCommandLength = 24,
                               kErrorInfoLength = 28, kDataToDeviceTransferLength = 32,
                               kDataFromDeviceTransferLength = 36, kTimeOutValue = 40,
                               kErrorInfoOffset = 44, kDataToDeviceBufferOffset = 48,
                               kDataFromDeviceBufferOffset = 52, kCommandSpecific = 56,
                               kReserved0 = 60, kFixedProtocolReturnData = 64,
                               kFixedProtocolReturnData2 = 68;
};

// STORAGE_PROTOCOL_STATUS_* (ReturnStatus).
inline constexpr std::uint32_t kStorageProtocolStatusPending = 0x0;
inline constexpr std::uint32_t kStorageProtocolStatusSuccess = 0x1;
inline constexpr std::uint32_t kStorageProtocolStatusError = 0x2;
inline constexpr std::uint32_t kStorageProtocolStatusInvalidRequest = 0x3;
inline constexpr std::uint32_t kStorageProtocolStatusNoDevice = 0x4;
inline constexpr std::uint32_t kStorageProtocolStatusBusy = 0x5;
inline constexpr std::uint32_t kStorageProtocolStatusDataOverrun = 0x6;
inline constexpr std::uint32_t kStorageProtocolStatusInsufficientResources = 0x7;
inline constexpr std::uint32_t kStorageProtocolStatusThrottledRequest = 0x8;
inline constexpr std::uint32_t kStorageProtocolStatusNotSupported = 0xff;

// Windows' documented maximum TimeOutValue for pass-through requests: 30 hours.
inline constexpr std::uint32_t kStorageProtocolMaxTimeoutSeconds = 108000;
// What one storage protocol command may carry here (one contiguous buffer).
inline constexpr std::uint32_t kStorageProtocolMaxTransferBytes = 1u << 20;

// IOCTL_STORAGE_QUERY_PROPERTY for protocol-specific data.
inline constexpr std::uint32_t kStorageAdapterProtocolSpecificProperty = 49;
inline constexpr std::uint32_t kStorageDeviceProtocolSpecificProperty = 50;
inline constexpr std::uint32_t kPropertyStandardQuery = 0;
inline constexpr std::uint32_t kNvmeDataTypeIdentify = 1;
// STORAGE_PROPERTY_QUERY: PropertyId, QueryType, then AdditionalParameters,
// where STORAGE_PROTOCOL_SPECIFIC_DATA (10 ULONGs) starts.
inline constexpr std::size_t kPropertyQuerySpecificDataOffset = 8;
inline constexpr std::uint32_t kProtocolSpecificDataSize = 40;
// STORAGE_PROTOCOL_DATA_DESCRIPTOR: Version, Size, then the specific data.
inline constexpr std::uint32_t kProtocolDataDescriptorSize = 48;
inline constexpr std::size_t kDescriptorSpecificDataOffset = 8;
// Field offsets inside STORAGE_PROTOCOL_SPECIFIC_DATA.
struct ProtocolSpecificDataField {
  static constexpr std::size_t kProtocolType = 0, kDataType = 4, kRequestValue = 8,
                               kRequestSubValue = 12, kProtocolDataOffset = 16,
                               kProtocolDataLength = 20, kFixedProtocolReturnData = 24,
                               kRequestSubValue2 = 28, kRequestSubValue3 = 32, kRequestSubValue4 = 36;
};
// Identify data is always 4096 bytes.
inline constexpr std::uint32_t kIdentifyDataBytes = 4096;

// How a command travels through Windows' storage stack.
enum class StorageProtocolRoute {
  kIdentifyQuery,     // IOCTL_STORAGE_QUERY_PROPERTY
  kProtocolCommand,   // IOCTL_STORAGE_PROTOCOL_COMMAND
};

// Whether `command` is an Identify the property query can express exactly:
// admin opcode 06h, CNS 00h or 01h, CNTID 0, CDW11..15 and CDW2/3 zero, data
// in of at most 4096 bytes.
StorageProtocolRoute ChooseStorageProtocolRoute(const NvmeCommand& command);

// The IOCTL_STORAGE_QUERY_PROPERTY buffer (in and out) for an Identify:
// STORAGE_PROPERTY_QUERY + STORAGE_PROTOCOL_SPECIFIC_DATA + 4096 data bytes.
// Errors: kInvalidArgument (not a command ChooseStorageProtocolRoute sends this way).
absl::StatusOr<std::vector<std::uint8_t>> BuildIdentifyQuery(const NvmeCommand& command);

// The completion of an Identify query: `buffer`'s first `returned` bytes as
// DeviceIoControl left them (a STORAGE_PROTOCOL_DATA_DESCRIPTOR, then the data).
// data_in is cut to command.data_in_length; result is FixedProtocolReturnData.
// Errors: kBackendFailure (a descriptor of the wrong version/size, data
// outside the bytes returned or shorter than asked for).
absl::StatusOr<NvmeCompletion> DecodeIdentifyQuery(const NvmeCommand& command,
                                                   absl::Span<const std::uint8_t> buffer,
                                                   std::uint32_t returned);

// The IOCTL_STORAGE_PROTOCOL_COMMAND buffer for `command` (see the layout
// above): admin commands carry STORAGE_PROTOCOL_COMMAND_FLAG_ADAPTER_REQUEST
// and CommandSpecific NVME_ADMIN_COMMAND; I/O commands neither flag and
// NVME_NVM_COMMAND. TimeOutValue is whole seconds, rounded up, 1..108000.
// Errors: kInvalidArgument (ValidateNvmeCommand, at most 1 MiB of data).
absl::StatusOr<std::vector<std::uint8_t>> BuildStorageProtocolCommand(const NvmeCommand& command);

// The completion of a protocol command buffer as DeviceIoControl left it:
//   STORAGE_PROTOCOL_STATUS_SUCCESS  status 0, result = FixedProtocolReturnData
//                                    (completion DW0), data_in = the bytes the
//                                    driver reports transferred (≤ asked for)
//   STORAGE_PROTOCOL_STATUS_ERROR    the controller's status from the error info
//                                    (NVME_ERROR_INFO_LOG Status, phase bit dropped)
//                                    and DW0; kBackendFailure when it carries none
//   NOT_SUPPORTED                    kNotSupported
//   anything else                    kBackendFailure naming the status
absl::StatusOr<NvmeCompletion> DecodeStorageProtocolCommand(const NvmeCommand& command,
                                                            absl::Span<const std::uint8_t> buffer);

// The NVMe submission queue entry (64 bytes, little-endian) for `command`, as
// placed in Command[]: CDW0 = opcode (command id and PRPs are the driver's).
std::vector<std::uint8_t> EncodeNvmeSubmissionEntry(const NvmeCommand& command);

// Little-endian 32-bit read/write at `offset` (no bounds beyond the span's).
std::uint32_t LoadLe32(absl::Span<const std::uint8_t> bytes, std::size_t offset);
void StoreLe32(std::vector<std::uint8_t>* bytes, std::size_t offset, std::uint32_t value);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_SRC_STORAGE_PROTOCOL_REQUEST_H_
