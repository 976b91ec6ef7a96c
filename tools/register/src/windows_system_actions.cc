// The Windows implementation of SystemActions (see windows_system_actions.h).
//
// Facts used here, each from Microsoft's documentation:
// - COM+ catalog: CLSID of COMAdmin.COMAdminCatalog {F618C514-DFB8-11D1-A2CF-
//   00805FC79235} (also in MinGW's comadmin.h, which declares it but no
//   import library defines it); collection "Applications" with properties
//   Name, Description, Activation, ApplicationAccessChecksEnabled,
//   AccessChecksLevel, Authentication, AuthenticationCapability,
//   ImpersonationLevel, Identity, Password, ShutdownAfter; related collections
//   "Roles" (Name, Description) and "UsersInRole" (User); "ErrorInfo" holds
//   per-object errors after a failed SaveChanges.
// - IVssAdmin (vsadmin.h): CLSID_VSSCoordinator and IID_IVssAdmin come from
//   MinGW's libuuid; RegisterProvider/UnregisterProvider.
// - Event source: HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<source>.
#include "windows_system_actions.h"

#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <sddl.h>
#include <comadmin.h>
#include <vss.h>
#include <vsadmin.h>
#include <vsserror.h>
#include <wrl/client.h>

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "hwsnap/register/install_plan.h"

namespace hwsnap {
namespace installer {
namespace {

using Microsoft::WRL::ComPtr;

constexpr CLSID kComAdminCatalogClsid = {
    0xf618c514, 0xdfb8, 0x11d1, {0xa2, 0xcf, 0x00, 0x80, 0x5f, 0xc7, 0x92, 0x35}};

constexpr wchar_t kEventLogApplicationKey[] = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";

// The system's text for `hresult`, without the trailing line break.
std::string SystemMessage(HRESULT hresult) {
  wchar_t* buffer = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
      static_cast<DWORD>(hresult), 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::wstring text = (length > 0 && buffer != nullptr) ? std::wstring(buffer, length) : std::wstring();
  if (buffer != nullptr) LocalFree(buffer);
  while (!text.empty() && (text.back() == L'\n' || text.back() == L'\r' || text.back() == L' ' ||
                           text.back() == L'.')) {
    text.pop_back();
  }
  return Narrow(text);
}

// The one place a native error becomes a Status: `what` failed with `hresult`.
// The canonical code follows the HRESULT; the HRESULT rides along as a
// payload. Never NotFound: removals decide "absent" themselves.
absl::Status WindowsError(HRESULT hresult, absl::string_view what) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  switch (static_cast<std::uint32_t>(hresult)) {
    case static_cast<std::uint32_t>(E_ACCESSDENIED):
      code = absl::StatusCode::kPermissionDenied;
      break;
    case static_cast<std::uint32_t>(E_INVALIDARG):
      code = absl::StatusCode::kInvalidArgument;
      break;
    case static_cast<std::uint32_t>(E_OUTOFMEMORY):
      code = absl::StatusCode::kResourceExhausted;
      break;
    case static_cast<std::uint32_t>(REGDB_E_CLASSNOTREG):
      code = absl::StatusCode::kUnavailable;
      break;
    case static_cast<std::uint32_t>(VSS_E_PROVIDER_ALREADY_REGISTERED):
    case static_cast<std::uint32_t>(COMADMIN_E_OBJECTEXISTS):
      code = absl::StatusCode::kAlreadyExists;
      break;
    default:
      code = absl::StatusCode::kUnknown;
      break;
  }
  std::string message(what);
  const std::string system = SystemMessage(hresult);
  if (!system.empty()) absl::StrAppend(&message, ": ", system);
  return WithHresult(absl::Status(code, message), static_cast<std::uint32_t>(hresult));
}

absl::Status Win32Error(LSTATUS error, absl::string_view what) {
  return WindowsError(HRESULT_FROM_WIN32(static_cast<DWORD>(error)), what);
}

class Bstr {
 public:
  explicit Bstr(const std::wstring& text) : value_(SysAllocStringLen(text.data(), static_cast<UINT>(text.size()))) {}
  ~Bstr() { SysFreeString(value_); }
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  BSTR get() const { return value_; }

 private:
  BSTR value_;
};

// An owned VARIANT.
class Variant {
 public:
  Variant() { VariantInit(&value_); }
  ~Variant() { VariantClear(&value_); }
  Variant(const Variant&) = delete;
  Variant& operator=(const Variant&) = delete;

  static void String(Variant& v, const std::wstring& text) {
    VariantClear(&v.value_);
    v.value_.vt = VT_BSTR;
    v.value_.bstrVal = SysAllocStringLen(text.data(), static_cast<UINT>(text.size()));
  }
  static void Long(Variant& v, long number) {
    VariantClear(&v.value_);
    v.value_.vt = VT_I4;
    v.value_.lVal = number;
  }
  static void Bool(Variant& v, bool flag) {
    VariantClear(&v.value_);
    v.value_.vt = VT_BOOL;
    v.value_.boolVal = flag ? static_cast<VARIANT_BOOL>(-1) : static_cast<VARIANT_BOOL>(0);
  }
  VARIANT* Out() {
    VariantClear(&value_);
    return &value_;
  }
  const VARIANT& get() const { return value_; }
  // The text of a VT_BSTR value, else empty.
  std::wstring Text() const {
    if (value_.vt != VT_BSTR || value_.bstrVal == nullptr) return std::wstring();
    return std::wstring(value_.bstrVal, SysStringLen(value_.bstrVal));
  }

 private:
  VARIANT value_;
};

// ---- COM+ catalog helpers ------------------------------------------------

absl::StatusOr<ComPtr<ICOMAdminCatalog>> OpenCatalog() {
  ComPtr<ICOMAdminCatalog> catalog;
  const HRESULT hr = CoCreateInstance(kComAdminCatalogClsid, nullptr, CLSCTX_INPROC_SERVER,
                                      __uuidof(ICOMAdminCatalog), reinterpret_cast<void**>(catalog.GetAddressOf()));
  if (FAILED(hr)) return WindowsError(hr, "cannot open the COM+ catalog (COMAdmin.COMAdminCatalog)");
  return catalog;
}

absl::StatusOr<ComPtr<ICatalogCollection>> AsCollection(const ComPtr<IDispatch>& dispatch, absl::string_view name) {
  ComPtr<ICatalogCollection> collection;
  const HRESULT hr = dispatch.As(&collection);
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("COM+ collection ", name));
  return collection;
}

absl::StatusOr<ComPtr<ICatalogCollection>> PopulatedApplications(ICOMAdminCatalog* catalog) {
  ComPtr<IDispatch> dispatch;
  const Bstr name(L"Applications");
  HRESULT hr = catalog->GetCollection(name.get(), dispatch.GetAddressOf());
  if (FAILED(hr)) return WindowsError(hr, "cannot get the COM+ Applications collection");
  absl::StatusOr<ComPtr<ICatalogCollection>> apps = AsCollection(dispatch, "Applications");
  if (!apps.ok()) return apps.status();
  hr = (*apps)->Populate();
  if (FAILED(hr)) return WindowsError(hr, "cannot read the COM+ Applications collection");
  return apps;
}

// A related collection ("Roles" of an application, "UsersInRole" of a role), populated.
absl::StatusOr<ComPtr<ICatalogCollection>> PopulatedRelated(ICatalogCollection* parent, const wchar_t* name,
                                                            ICatalogObject* owner) {
  Variant key;
  HRESULT hr = owner->get_Key(key.Out());
  if (FAILED(hr)) return WindowsError(hr, "cannot read a COM+ object's key");
  ComPtr<IDispatch> dispatch;
  const Bstr collection_name(name);
  hr = parent->GetCollection(collection_name.get(), key.get(), dispatch.GetAddressOf());
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("cannot get the COM+ collection ", Narrow(name)));
  absl::StatusOr<ComPtr<ICatalogCollection>> related = AsCollection(dispatch, Narrow(name));
  if (!related.ok()) return related.status();
  hr = (*related)->Populate();
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("cannot read the COM+ collection ", Narrow(name)));
  return related;
}

absl::StatusOr<ComPtr<ICatalogObject>> ItemAt(ICatalogCollection* collection, long index) {
  ComPtr<IDispatch> dispatch;
  HRESULT hr = collection->get_Item(index, dispatch.GetAddressOf());
  if (FAILED(hr)) return WindowsError(hr, "cannot read a COM+ catalog object");
  ComPtr<ICatalogObject> object;
  hr = dispatch.As(&object);
  if (FAILED(hr)) return WindowsError(hr, "unexpected COM+ catalog object");
  return object;
}

absl::StatusOr<ComPtr<ICatalogObject>> AddItem(ICatalogCollection* collection, absl::string_view what) {
  ComPtr<IDispatch> dispatch;
  HRESULT hr = collection->Add(dispatch.GetAddressOf());
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("cannot add ", what));
  ComPtr<ICatalogObject> object;
  hr = dispatch.As(&object);
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("unexpected COM+ object for ", what));
  return object;
}

// Indexes of the applications called `name` (COM+ compares names without case).
absl::StatusOr<std::vector<long>> FindApplications(ICatalogCollection* apps, const std::wstring& name) {
  long count = 0;
  HRESULT hr = apps->get_Count(&count);
  if (FAILED(hr)) return WindowsError(hr, "cannot count the COM+ applications");
  std::vector<long> found;
  const Bstr property(L"Name");
  for (long i = 0; i < count; ++i) {
    absl::StatusOr<ComPtr<ICatalogObject>> app = ItemAt(apps, i);
    if (!app.ok()) return app.status();
    Variant value;
    hr = (*app)->get_Value(property.get(), value.Out());
    if (FAILED(hr)) continue;
    const std::wstring text = value.Text();
    if (CompareStringOrdinal(text.c_str(), -1, name.c_str(), -1, TRUE) == CSTR_EQUAL) found.push_back(i);
  }
  return found;
}

absl::Status Put(ICatalogObject* object, const wchar_t* property, const Variant& value) {
  const Bstr name(property);
  const HRESULT hr = object->put_Value(name.get(), value.get());
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("cannot set COM+ property ", Narrow(property)));
  return absl::OkStatus();
}
absl::Status PutString(ICatalogObject* object, const wchar_t* property, const std::wstring& text) {
  Variant v;
  Variant::String(v, text);
  return Put(object, property, v);
}
absl::Status PutLong(ICatalogObject* object, const wchar_t* property, long number) {
  Variant v;
  Variant::Long(v, number);
  return Put(object, property, v);
}
absl::Status PutBool(ICatalogObject* object, const wchar_t* property, bool flag) {
  Variant v;
  Variant::Bool(v, flag);
  return Put(object, property, v);
}

// What COM+ recorded about a failed SaveChanges ("ErrorInfo": Name, ErrorCode
// per object), best effort, for the message.
std::string CatalogErrorDetails(ICatalogCollection* collection) {
  Variant no_key;
  ComPtr<IDispatch> dispatch;
  const Bstr name(L"ErrorInfo");
  if (FAILED(collection->GetCollection(name.get(), no_key.get(), dispatch.GetAddressOf()))) return "";
  ComPtr<ICatalogCollection> errors;
  if (FAILED(dispatch.As(&errors)) || FAILED(errors->Populate())) return "";
  long count = 0;
  if (FAILED(errors->get_Count(&count))) return "";
  std::vector<std::string> parts;
  const Bstr name_property(L"Name");
  const Bstr code_property(L"ErrorCode");
  for (long i = 0; i < count; ++i) {
    absl::StatusOr<ComPtr<ICatalogObject>> error = ItemAt(errors.Get(), i);
    if (!error.ok()) continue;
    Variant object_name;
    Variant code;
    (*error)->get_Value(name_property.get(), object_name.Out());
    (*error)->get_Value(code_property.get(), code.Out());
    std::string part = Narrow(object_name.Text());
    if (code.get().vt == VT_I4) {
      absl::StrAppend(&part, " ", absl::StrFormat("0x%08X", static_cast<std::uint32_t>(code.get().lVal)));
    }
    parts.push_back(part);
  }
  return parts.empty() ? "" : absl::StrCat(" (COM+ ErrorInfo: ", absl::StrJoin(parts, "; "), ")");
}

absl::Status Save(ICatalogCollection* collection, absl::string_view what) {
  long changes = 0;
  const HRESULT hr = collection->SaveChanges(&changes);
  if (FAILED(hr)) {
    return WindowsError(hr, absl::StrCat("COM+ refused to save ", what, CatalogErrorDetails(collection)));
  }
  return absl::OkStatus();
}

// ---- VSS -----------------------------------------------------------------

absl::StatusOr<ComPtr<IVssAdmin>> OpenVssAdmin() {
  ComPtr<IVssAdmin> admin;
  const HRESULT hr = CoCreateInstance(CLSID_VSSCoordinator, nullptr, CLSCTX_ALL, IID_IVssAdmin,
                                      reinterpret_cast<void**>(admin.GetAddressOf()));
  if (FAILED(hr)) return WindowsError(hr, "cannot reach the VSS coordinator (IVssAdmin)");
  return admin;
}

absl::StatusOr<GUID> ParseGuid(const std::string& text) {
  GUID guid{};
  const std::wstring wide = Widen(text);
  const HRESULT hr = IIDFromString(wide.c_str(), &guid);
  if (FAILED(hr)) return WindowsError(hr, absl::StrCat("\"", text, "\" is not a GUID"));
  return guid;
}

// ---- registry --------------------------------------------------------------

class RegKey {
 public:
  RegKey() = default;
  ~RegKey() {
    if (key_ != nullptr) RegCloseKey(key_);
  }
  RegKey(const RegKey&) = delete;
  RegKey& operator=(const RegKey&) = delete;
  HKEY* Out() { return &key_; }
  HKEY get() const { return key_; }

 private:
  HKEY key_ = nullptr;
};

LSTATUS SetString(HKEY key, const wchar_t* name, DWORD type, const std::wstring& value) {
  return RegSetValueExW(key, name, 0, type, reinterpret_cast<const BYTE*>(value.c_str()),
                        static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t)));
}

}  // namespace

// ---- COM registration -------------------------------------------------------

absl::Status WindowsSystemActions::RegisterComServer(const std::string& dll_path) {
  HMODULE module = LoadLibraryExW(Widen(dll_path).c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (module == nullptr) return Win32Error(static_cast<LSTATUS>(GetLastError()), absl::StrCat("cannot load ", dll_path));
  using Entry = HRESULT(STDAPICALLTYPE*)();
  const auto entry = reinterpret_cast<Entry>(reinterpret_cast<void*>(GetProcAddress(module, "DllRegisterServer")));
  absl::Status status;
  if (entry == nullptr) {
    status = Win32Error(static_cast<LSTATUS>(GetLastError()), absl::StrCat(dll_path, " has no DllRegisterServer"));
  } else if (const HRESULT hr = entry(); FAILED(hr)) {
    status = WindowsError(hr, absl::StrCat("DllRegisterServer of ", dll_path, " failed"));
  }
  FreeLibrary(module);
  return status;
}

absl::Status WindowsSystemActions::UnregisterComServer(const std::string& dll_path, const std::string& clsid) {
  const std::wstring key_path = L"CLSID\\" + Widen(clsid);
  {
    RegKey key;
    const LSTATUS opened = RegOpenKeyExW(HKEY_CLASSES_ROOT, key_path.c_str(), 0, KEY_READ, key.Out());
    if (opened == ERROR_FILE_NOT_FOUND) return absl::NotFoundError(absl::StrCat("COM class ", clsid, " is not registered"));
  }
  HMODULE module = LoadLibraryExW(Widen(dll_path).c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (module != nullptr) {
    using Entry = HRESULT(STDAPICALLTYPE*)();
    const auto entry =
        reinterpret_cast<Entry>(reinterpret_cast<void*>(GetProcAddress(module, "DllUnregisterServer")));
    const HRESULT hr = entry != nullptr ? entry() : E_FAIL;
    FreeLibrary(module);
    if (SUCCEEDED(hr)) return absl::OkStatus();
  }
  // The DLL is gone (or broken): remove its registration directly.
  const LSTATUS deleted = RegDeleteTreeW(HKEY_CLASSES_ROOT, key_path.c_str());
  if (deleted == ERROR_FILE_NOT_FOUND) return absl::NotFoundError(absl::StrCat("COM class ", clsid, " is not registered"));
  if (deleted != ERROR_SUCCESS) return Win32Error(deleted, absl::StrCat("cannot delete HKCR\\CLSID\\", clsid));
  return absl::OkStatus();
}

// ---- configuration file ------------------------------------------------------

absl::StatusOr<bool> WindowsSystemActions::CreateFileIfAbsent(const std::string& path, const std::string& content) {
  const std::wstring wide = Widen(path);
  // Create missing parent folders; new ones let only Administrators and SYSTEM
  // write (the file selects the code the provider runs), everyone read.
  const std::size_t slash = wide.find_last_of(L"\\/");
  if (slash != std::wstring::npos && slash > 0) {
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const bool have_descriptor = ConvertStringSecurityDescriptorToSecurityDescriptorW(
                                     L"D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;FRFX;;;BU)", SDDL_REVISION_1,
                                     &descriptor, nullptr) != FALSE;
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), have_descriptor ? descriptor : nullptr, FALSE};
    for (std::size_t at = wide.find_first_of(L"\\/", 3); at != std::wstring::npos && at <= slash;
         at = wide.find_first_of(L"\\/", at + 1)) {
      const std::wstring folder = wide.substr(0, at);
      if (!CreateDirectoryW(folder.c_str(), &attributes) && GetLastError() != ERROR_ALREADY_EXISTS) {
        const DWORD error = GetLastError();
        if (descriptor != nullptr) LocalFree(descriptor);
        return Win32Error(static_cast<LSTATUS>(error), absl::StrCat("cannot create folder ", Narrow(folder)));
      }
    }
    if (descriptor != nullptr) LocalFree(descriptor);
  }
  HANDLE file = CreateFileW(wide.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD error = GetLastError();
    if (error == ERROR_FILE_EXISTS || error == ERROR_ALREADY_EXISTS) return false;  // the admin's file: keep it
    return Win32Error(static_cast<LSTATUS>(error), absl::StrCat("cannot create ", path));
  }
  DWORD written = 0;
  const BOOL ok = WriteFile(file, content.data(), static_cast<DWORD>(content.size()), &written, nullptr);
  const DWORD error = GetLastError();
  CloseHandle(file);
  if (!ok || written != content.size()) {
    DeleteFileW(wide.c_str());
    return Win32Error(static_cast<LSTATUS>(ok ? ERROR_WRITE_FAULT : error), absl::StrCat("cannot write ", path));
  }
  return true;
}

absl::Status WindowsSystemActions::RemoveFile(const std::string& path) {
  if (DeleteFileW(Widen(path).c_str())) return absl::OkStatus();
  const DWORD error = GetLastError();
  if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  }
  return Win32Error(static_cast<LSTATUS>(error), absl::StrCat("cannot delete ", path));
}

// ---- registry values ------------------------------------------------------------

absl::Status WindowsSystemActions::SetConfigFileLocation(const std::string& key, const std::string& value_name,
                                                         const std::string& config_path) {
  RegKey handle;
  LSTATUS status = RegCreateKeyExW(HKEY_LOCAL_MACHINE, Widen(key).c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, handle.Out(), nullptr);
  if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot create HKLM\\", key));
  status = SetString(handle.get(), Widen(value_name).c_str(), REG_SZ, Widen(config_path));
  if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot set HKLM\\", key, " ", value_name));
  return absl::OkStatus();
}

absl::Status WindowsSystemActions::RemoveConfigFileLocation(const std::string& key, const std::string& value_name) {
  const std::wstring wide_key = Widen(key);
  bool value_existed = false;
  bool key_empty = false;
  {
    RegKey handle;
    LSTATUS status = RegOpenKeyExW(HKEY_LOCAL_MACHINE, wide_key.c_str(), 0,
                                   KEY_SET_VALUE | KEY_QUERY_VALUE | KEY_WOW64_64KEY, handle.Out());
    if (status == ERROR_FILE_NOT_FOUND) return absl::NotFoundError(absl::StrCat("HKLM\\", key, " does not exist"));
    if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot open HKLM\\", key));
    status = RegDeleteValueW(handle.get(), Widen(value_name).c_str());
    if (status == ERROR_SUCCESS) {
      value_existed = true;
    } else if (status != ERROR_FILE_NOT_FOUND) {
      return Win32Error(status, absl::StrCat("cannot delete HKLM\\", key, " ", value_name));
    }
    DWORD subkeys = 0;
    DWORD values = 0;
    if (RegQueryInfoKeyW(handle.get(), nullptr, nullptr, nullptr, &subkeys, nullptr, nullptr, &values, nullptr,
                         nullptr, nullptr, nullptr) == ERROR_SUCCESS) {
      key_empty = subkeys == 0 && values == 0;
    }
  }
  if (key_empty) {
    const LSTATUS status = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, wide_key.c_str(), KEY_WOW64_64KEY, 0);
    if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
      return Win32Error(status, absl::StrCat("cannot delete HKLM\\", key));
    }
  }
  if (!value_existed) return absl::NotFoundError(absl::StrCat("HKLM\\", key, " ", value_name, " does not exist"));
  return absl::OkStatus();
}

absl::Status WindowsSystemActions::AddEventSource(const std::string& source, const std::string& message_file,
                                                  unsigned long types_supported) {
  const std::wstring path = kEventLogApplicationKey + Widen(source);
  RegKey handle;
  LSTATUS status = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, handle.Out(), nullptr);
  if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot create event source ", source));
  status = SetString(handle.get(), L"EventMessageFile", REG_EXPAND_SZ, Widen(message_file));
  if (status == ERROR_SUCCESS) {
    const DWORD types = static_cast<DWORD>(types_supported);
    status = RegSetValueExW(handle.get(), L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types),
                            sizeof(types));
  }
  // The DLL's message table also names the categories (messages 1-5, one per
  // log level spdlog passes as the category): Event Viewer shows them by name.
  if (status == ERROR_SUCCESS) {
    status = SetString(handle.get(), L"CategoryMessageFile", REG_EXPAND_SZ, Widen(message_file));
  }
  if (status == ERROR_SUCCESS) {
    const DWORD categories = 5;
    status = RegSetValueExW(handle.get(), L"CategoryCount", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&categories),
                            sizeof(categories));
  }
  if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot configure event source ", source));
  return absl::OkStatus();
}

absl::Status WindowsSystemActions::RemoveEventSource(const std::string& source) {
  const std::wstring path = kEventLogApplicationKey + Widen(source);
  const LSTATUS status = RegDeleteTreeW(HKEY_LOCAL_MACHINE, path.c_str());
  if (status == ERROR_FILE_NOT_FOUND) return absl::NotFoundError(absl::StrCat("event source ", source, " does not exist"));
  if (status != ERROR_SUCCESS) return Win32Error(status, absl::StrCat("cannot delete event source ", source));
  return absl::OkStatus();
}

// ---- accounts ----------------------------------------------------------------------

absl::StatusOr<std::string> WindowsSystemActions::AccountNameForSid(const std::string& sid) {
  PSID binary = nullptr;
  if (!ConvertStringSidToSidW(Widen(sid).c_str(), &binary)) {
    return Win32Error(static_cast<LSTATUS>(GetLastError()), absl::StrCat("\"", sid, "\" is not a SID"));
  }
  DWORD name_length = 0;
  DWORD domain_length = 0;
  SID_NAME_USE use = SidTypeUnknown;
  LookupAccountSidW(nullptr, binary, nullptr, &name_length, nullptr, &domain_length, &use);
  std::wstring name(name_length, L'\0');
  std::wstring domain(domain_length, L'\0');
  const BOOL found =
      name_length > 0 && LookupAccountSidW(nullptr, binary, name.data(), &name_length, domain.data(), &domain_length, &use);
  const DWORD error = GetLastError();
  LocalFree(binary);
  if (!found) return Win32Error(static_cast<LSTATUS>(error), absl::StrCat("LookupAccountSid(", sid, ") failed"));
  name.resize(name_length);
  domain.resize(domain_length);
  return Narrow(domain.empty() ? name : domain + L"\\" + name);
}

// ---- COM+ -----------------------------------------------------------------------------

absl::Status WindowsSystemActions::CreateComPlusApplication(const ComPlusApplicationSpec& spec) {
  absl::StatusOr<ComPtr<ICOMAdminCatalog>> catalog = OpenCatalog();
  if (!catalog.ok()) return catalog.status();
  absl::StatusOr<ComPtr<ICatalogCollection>> apps = PopulatedApplications(catalog->Get());
  if (!apps.ok()) return apps.status();
  const std::wstring name = Widen(spec.name);
  absl::StatusOr<std::vector<long>> existing = FindApplications(apps->Get(), name);
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) {
    return absl::AlreadyExistsError(absl::StrCat("a COM+ application named \"", spec.name, "\" already exists"));
  }
  absl::StatusOr<ComPtr<ICatalogObject>> app = AddItem(apps->Get(), "a COM+ application");
  if (!app.ok()) return app.status();
  ICatalogObject* object = app->Get();
  for (absl::Status status : {
           PutString(object, L"Name", name),
           PutString(object, L"Description", Widen(spec.description)),
           PutLong(object, L"Activation", spec.activation),
           PutBool(object, L"ApplicationAccessChecksEnabled", spec.access_checks_enabled),
           PutLong(object, L"AccessChecksLevel", spec.access_checks_level),
           PutLong(object, L"Authentication", spec.authentication),
           PutLong(object, L"AuthenticationCapability", spec.authentication_capability),
           PutLong(object, L"ImpersonationLevel", spec.impersonation_level),
           PutLong(object, L"ShutdownAfter", spec.shutdown_after_minutes),
           // Identity and Password are validated together at SaveChanges.
           PutString(object, L"Identity", Widen(spec.identity)),
           PutString(object, L"Password", L""),
       }) {
    if (!status.ok()) return status;
  }
  return Save(apps->Get(), absl::StrCat("the COM+ application \"", spec.name, "\""));
}

absl::Status WindowsSystemActions::RemoveComPlusApplication(const std::string& name) {
  absl::StatusOr<ComPtr<ICOMAdminCatalog>> catalog = OpenCatalog();
  if (!catalog.ok()) {
    if (GetHresult(catalog.status()) == static_cast<std::uint32_t>(REGDB_E_CLASSNOTREG)) {
      return absl::NotFoundError("there is no COM+ catalog on this machine, so no application to remove");
    }
    return catalog.status();
  }
  absl::StatusOr<ComPtr<ICatalogCollection>> apps = PopulatedApplications(catalog->Get());
  if (!apps.ok()) return apps.status();
  const std::wstring wide = Widen(name);
  absl::StatusOr<std::vector<long>> found = FindApplications(apps->Get(), wide);
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError(absl::StrCat("no COM+ application named \"", name, "\""));
  // Stop its dllhost first so the DLL is released (an upgrade replaces it next).
  const Bstr bstr_name(wide);
  (*catalog)->ShutdownApplication(bstr_name.get());
  for (auto it = found->rbegin(); it != found->rend(); ++it) {
    const HRESULT hr = (*apps)->Remove(*it);
    if (FAILED(hr)) return WindowsError(hr, absl::StrCat("cannot remove COM+ application \"", name, "\""));
  }
  return Save(apps->Get(), absl::StrCat("the removal of COM+ application \"", name, "\""));
}

absl::Status WindowsSystemActions::AddComPlusRole(const std::string& application, const std::string& role,
                                                  const std::string& description,
                                                  const std::vector<std::string>& members) {
  absl::StatusOr<ComPtr<ICOMAdminCatalog>> catalog = OpenCatalog();
  if (!catalog.ok()) return catalog.status();
  absl::StatusOr<ComPtr<ICatalogCollection>> apps = PopulatedApplications(catalog->Get());
  if (!apps.ok()) return apps.status();
  absl::StatusOr<std::vector<long>> found = FindApplications(apps->Get(), Widen(application));
  if (!found.ok()) return found.status();
  if (found->empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no COM+ application named \"", application, "\""));
  }
  absl::StatusOr<ComPtr<ICatalogObject>> app = ItemAt(apps->Get(), found->front());
  if (!app.ok()) return app.status();

  absl::StatusOr<ComPtr<ICatalogCollection>> roles = PopulatedRelated(apps->Get(), L"Roles", app->Get());
  if (!roles.ok()) return roles.status();
  absl::StatusOr<ComPtr<ICatalogObject>> role_object = AddItem(roles->Get(), "a COM+ role");
  if (!role_object.ok()) return role_object.status();
  if (absl::Status s = PutString(role_object->Get(), L"Name", Widen(role)); !s.ok()) return s;
  if (absl::Status s = PutString(role_object->Get(), L"Description", Widen(description)); !s.ok()) return s;
  if (absl::Status s = Save(roles->Get(), absl::StrCat("the COM+ role \"", role, "\"")); !s.ok()) return s;

  absl::StatusOr<ComPtr<ICatalogCollection>> users = PopulatedRelated(roles->Get(), L"UsersInRole", role_object->Get());
  if (!users.ok()) return users.status();
  for (const std::string& member : members) {
    absl::StatusOr<ComPtr<ICatalogObject>> user = AddItem(users->Get(), "a member of the COM+ role");
    if (!user.ok()) return user.status();
    if (absl::Status s = PutString(user->Get(), L"User", Widen(member)); !s.ok()) return s;
  }
  return Save(users->Get(), absl::StrCat("the members of COM+ role \"", role, "\" (", absl::StrJoin(members, ", "), ")"));
}

absl::Status WindowsSystemActions::InstallComPlusComponent(const std::string& application, const std::string& dll_path,
                                                           const std::string& clsid) {
  absl::StatusOr<ComPtr<ICOMAdminCatalog>> catalog = OpenCatalog();
  if (!catalog.ok()) return catalog.status();
  const Bstr app(Widen(application));
  const Bstr dll(Widen(dll_path));
  const Bstr none(L"");
  const HRESULT installed = (*catalog)->InstallComponent(app.get(), dll.get(), none.get(), none.get());
  if (SUCCEEDED(installed)) return absl::OkStatus();
  // hwsnap_vss.dll carries no type library; if COM+ insists on one, import
  // the class DllRegisterServer registered instead.
  const Bstr class_id(Widen(clsid));
  const HRESULT imported = (*catalog)->ImportComponent(app.get(), class_id.get());
  if (SUCCEEDED(imported)) return absl::OkStatus();
  return WindowsError(installed, absl::StrCat("InstallComponent(", dll_path, ") failed, and so did ImportComponent(",
                                              clsid, ") with ",
                                              absl::StrFormat("0x%08X", static_cast<std::uint32_t>(imported))));
}

// ---- VSS ------------------------------------------------------------------------------------

absl::Status WindowsSystemActions::RegisterHardwareProvider(const VssProviderSpec& spec) {
  absl::StatusOr<GUID> provider_id = ParseGuid(spec.provider_id);
  if (!provider_id.ok()) return provider_id.status();
  absl::StatusOr<GUID> class_id = ParseGuid(spec.class_id);
  if (!class_id.ok()) return class_id.status();
  absl::StatusOr<GUID> version_id = ParseGuid(spec.version_id);
  if (!version_id.ok()) return version_id.status();
  absl::StatusOr<ComPtr<IVssAdmin>> admin = OpenVssAdmin();
  if (!admin.ok()) return admin.status();
  std::wstring name = Widen(spec.name);
  std::wstring version = Widen(spec.version);
  const HRESULT hr = (*admin)->RegisterProvider(*provider_id, *class_id, name.data(), VSS_PROV_HARDWARE,
                                                version.data(), *version_id);
  if (FAILED(hr)) return WindowsError(hr, "IVssAdmin::RegisterProvider(VSS_PROV_HARDWARE) failed");
  return absl::OkStatus();
}

absl::Status WindowsSystemActions::UnregisterProvider(const std::string& provider_id) {
  absl::StatusOr<GUID> id = ParseGuid(provider_id);
  if (!id.ok()) return id.status();
  absl::StatusOr<ComPtr<IVssAdmin>> admin = OpenVssAdmin();
  if (!admin.ok()) {
    if (GetHresult(admin.status()) == static_cast<std::uint32_t>(REGDB_E_CLASSNOTREG)) {
      return absl::NotFoundError("there is no VSS on this machine, so no provider to unregister");
    }
    return admin.status();
  }
  const HRESULT hr = (*admin)->UnregisterProvider(*id);
  if (hr == VSS_E_PROVIDER_NOT_REGISTERED) {
    return absl::NotFoundError(absl::StrCat("VSS provider ", provider_id, " is not registered"));
  }
  if (FAILED(hr)) return WindowsError(hr, "IVssAdmin::UnregisterProvider failed");
  return absl::OkStatus();
}

}  // namespace installer
}  // namespace hwsnap
