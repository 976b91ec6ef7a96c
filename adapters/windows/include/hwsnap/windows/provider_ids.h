// hwsnap/windows/provider_ids.h — the fixed identities of hwsnap's VSS provider.
//
// This file exists because these GUIDs must never change between versions:
// the CLSID is what COM (and the COM+ application) instantiates, the
// ProviderId is what IVssAdmin::RegisterProvider records and what an upgrade
// (UnregisterProvider + RegisterProvider) must name again. adapters/README.md
// lists them for administrators.
#ifndef HWSNAP_WINDOWS_PROVIDER_IDS_H_
#define HWSNAP_WINDOWS_PROVIDER_IDS_H_

#include <windows.h>

namespace hwsnap {
namespace windows {

// CLSID of the provider COM class: {7B841816-E71D-4E70-A493-220DF9F3884D}.
inline constexpr GUID kProviderClsid = {
    0x7b841816, 0xe71d, 0x4e70, {0xa4, 0x93, 0x22, 0x0d, 0xf9, 0xf3, 0x88, 0x4d}};
inline constexpr wchar_t kProviderClsidText[] = L"{7B841816-E71D-4E70-A493-220DF9F3884D}";

// VSS ProviderId: {D493FBFD-C567-4007-833C-2A236AD9C962}.
inline constexpr GUID kProviderId = {
    0xd493fbfd, 0xc567, 0x4007, {0x83, 0x3c, 0x2a, 0x23, 0x6a, 0xd9, 0xc9, 0x62}};
inline constexpr wchar_t kProviderIdText[] = L"{D493FBFD-C567-4007-833C-2A236AD9C962}";

// Display name (registry default value, VSS provider name).
inline constexpr wchar_t kProviderName[] = L"hwsnap VSS Hardware Provider";

// Application event-log source, registered under the key
// HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\hwsnap with
// EventMessageFile = hwsnap_vss.dll (the DLL carries the message table
// compiled from its .mc file).
inline constexpr wchar_t kEventSourceName[] = L"hwsnap";

// Where the DLL finds its configuration: value kConfigFileValue (REG_SZ, the
// configuration file's full path) of HKLM\kConfigRegistryKey.
inline constexpr wchar_t kConfigRegistryKey[] = L"SOFTWARE\\hwsnap";
inline constexpr wchar_t kConfigFileValue[] = L"ConfigFile";

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_PROVIDER_IDS_H_
