// hwsnap/windows/utf16.h — UTF-16 (Windows "wide") <-> UTF-8 text.
//
// This file exists because every Windows piece of hwsnap — the DLL's COM
// methods and configuration, the installer, the VSS driver and their tests —
// turns Windows' wide strings into the UTF-8 the core, Abseil and spdlog
// speak, and back. Header-only (Windows only), so tools that link nothing
// of the adapter can use it too.
//
//   std::string name = hwsnap::windows::Narrow(device_name);   // null -> ""
//   std::wstring path = hwsnap::windows::Widen(config.log_directory);
#ifndef HWSNAP_WINDOWS_UTF16_H_
#define HWSNAP_WINDOWS_UTF16_H_

#include <windows.h>

#include <string>

namespace hwsnap {
namespace windows {

// UTF-16 -> UTF-8; "" for empty or unconvertible text.
inline std::string Narrow(const std::wstring& text) {
  if (text.empty()) return std::string();
  const int length =
      WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0, nullptr, nullptr);
  if (length <= 0) return std::string();
  std::string narrow(static_cast<std::size_t>(length), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), narrow.data(), length, nullptr,
                      nullptr);
  return narrow;
}

// The same for a NUL-terminated string; null -> "".
inline std::string Narrow(const wchar_t* text) { return text == nullptr ? std::string() : Narrow(std::wstring(text)); }

// UTF-8 -> UTF-16; L"" for empty or unconvertible text.
inline std::wstring Widen(const std::string& text) {
  if (text.empty()) return std::wstring();
  const int length = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  if (length <= 0) return std::wstring();
  std::wstring wide(static_cast<std::size_t>(length), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), length);
  return wide;
}

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_UTF16_H_
