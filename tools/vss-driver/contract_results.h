// contract_results.h — the driver's own, coarse view of what VSS accepts.
//
// This file exists so the driver's "every result is legal" check does not
// rest only on the tables the DLL itself maps into (hwsnap::vss_results):
// an error in those tables would otherwise pass unnoticed. It is written
// from ../shared/vss-contract.md, independently of vss_results.cc: the exact
// list for EndPrepareSnapshots, and for every other method the set of
// results a provider may ever return (plus the documented exceptions:
// S_FALSE from a non-forced OnUnload, E_NOTIMPL from the reserved and
// unimplemented Ex methods).
#ifndef HWSNAP_TOOLS_VSS_DRIVER_CONTRACT_RESULTS_H_
#define HWSNAP_TOOLS_VSS_DRIVER_CONTRACT_RESULTS_H_

#include <cstdint>

#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace vss_driver {

// False when `result` is outside what the contract allows `method`.
bool ContractAllows(windows::VssMethod method, std::uint32_t result);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_CONTRACT_RESULTS_H_
