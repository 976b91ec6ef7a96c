// The driver's coarse contract check (see contract_results.h). The numbers
// are the SDK's (winerror.h, vsserror.h), spelled out here on purpose.
#include "contract_results.h"

#include <windows.h>
#include <vsserror.h>

#include <initializer_list>

namespace hwsnap {
namespace vss_driver {
namespace {

bool In(std::uint32_t result, std::initializer_list<std::uint32_t> allowed) {
  for (std::uint32_t r : allowed) {
    if (r == result) return true;
  }
  return false;
}

constexpr std::uint32_t kOk = 0x00000000u;
constexpr std::uint32_t kFalse = 0x00000001u;
constexpr std::uint32_t kNotImpl = 0x80004001u;
constexpr std::uint32_t kOutOfMemory = 0x8007000Eu;
constexpr std::uint32_t kInvalidArg = 0x80070057u;
constexpr std::uint32_t kAccessDenied = 0x80070005u;
constexpr std::uint32_t kBadState = 0x80042301u;
constexpr std::uint32_t kVeto = 0x80042306u;
constexpr std::uint32_t kObjectNotFound = 0x80042308u;
constexpr std::uint32_t kVolumeNotSupported = 0x8004230Cu;
constexpr std::uint32_t kVolumeNotSupportedByProvider = 0x8004230Eu;
constexpr std::uint32_t kMaxVolumes = 0x80042312u;
constexpr std::uint32_t kUnsupportedContext = 0x8004231Bu;
constexpr std::uint32_t kInsufficientStorage = 0x8004231Fu;
constexpr std::uint32_t kMaxSnapshots = 0x80042317u;
constexpr std::uint32_t kNestedVolumeLimit = 0x8004232Cu;
constexpr std::uint32_t kCannotRevertDiskId = 0x800423FEu;

// The spelled-out numbers, checked against the SDK's headers.
static_assert(kNotImpl == static_cast<std::uint32_t>(E_NOTIMPL));
static_assert(kOutOfMemory == static_cast<std::uint32_t>(E_OUTOFMEMORY));
static_assert(kInvalidArg == static_cast<std::uint32_t>(E_INVALIDARG));
static_assert(kAccessDenied == static_cast<std::uint32_t>(E_ACCESSDENIED));
static_assert(kBadState == static_cast<std::uint32_t>(VSS_E_BAD_STATE));
static_assert(kVeto == static_cast<std::uint32_t>(VSS_E_PROVIDER_VETO));
static_assert(kObjectNotFound == static_cast<std::uint32_t>(VSS_E_OBJECT_NOT_FOUND));
static_assert(kVolumeNotSupported == static_cast<std::uint32_t>(VSS_E_VOLUME_NOT_SUPPORTED));
static_assert(kVolumeNotSupportedByProvider == static_cast<std::uint32_t>(VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER));
static_assert(kMaxVolumes == static_cast<std::uint32_t>(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED));
static_assert(kUnsupportedContext == static_cast<std::uint32_t>(VSS_E_UNSUPPORTED_CONTEXT));
static_assert(kInsufficientStorage == static_cast<std::uint32_t>(VSS_E_INSUFFICIENT_STORAGE));
static_assert(kMaxSnapshots == static_cast<std::uint32_t>(VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED));
static_assert(kNestedVolumeLimit == static_cast<std::uint32_t>(VSS_E_NESTED_VOLUME_LIMIT));
static_assert(kCannotRevertDiskId == static_cast<std::uint32_t>(VSS_E_CANNOT_REVERT_DISKID));

}  // namespace

bool ContractAllows(windows::VssMethod method, std::uint32_t result) {
  using windows::VssMethod;
  if (method == VssMethod::kEndPrepareSnapshots) {
    return In(result, {kOk, kOutOfMemory, kInvalidArg, kInsufficientStorage, kObjectNotFound, kVeto});
  }
  if (In(result, {kOk, kOutOfMemory, kInvalidArg, kAccessDenied, kBadState, kObjectNotFound, kInsufficientStorage,
                  kVolumeNotSupported, kVolumeNotSupportedByProvider, kMaxSnapshots, kVeto, kCannotRevertDiskId})) {
    return true;
  }
  switch (method) {
    case VssMethod::kBeginPrepareSnapshot:
      return In(result, {kMaxVolumes, kUnsupportedContext, kNestedVolumeLimit});
    case VssMethod::kOnUnload:
      return result == kFalse;
    case VssMethod::kGetProviderCapabilities:
    case VssMethod::kOnReuseLuns:
    case VssMethod::kResyncLuns:
      return result == kNotImpl;
    default:
      return false;
  }
}

}  // namespace vss_driver
}  // namespace hwsnap
