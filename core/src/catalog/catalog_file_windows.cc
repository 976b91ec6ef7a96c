// catalog_file_windows.cc — the catalog's file seam on Windows (catalog_file.h).
// Paths are UTF-8 in the core and converted to UTF-16 for the *W APIs.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_file.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace catalog_internal {
namespace {

std::string ErrorText(DWORD error) {
  char* buffer = nullptr;
  const DWORD n = FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                 nullptr, error, 0, reinterpret_cast<char*>(&buffer), 0, nullptr);
  std::string text = n > 0 && buffer != nullptr ? std::string(buffer, n) : absl::StrCat("error ", error);
  if (buffer != nullptr) LocalFree(buffer);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.')) text.pop_back();
  return text;
}

// The one place a Win32 error becomes a Status.
absl::Status WindowsError(absl::string_view operation, const std::string& path, DWORD error) {
  const std::string message = absl::StrCat(operation, " ", path, ": ", ErrorText(error), " (", error, ")");
  switch (error) {
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return InsufficientStorageError(message);
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return ObjectNotFoundError(message);
    case ERROR_LOCK_VIOLATION:
    case ERROR_SHARING_VIOLATION:
      return BadStateError(absl::StrCat(path, " is in use by another process (", operation, ")"));
    default:
      return BackendFailureError(message);
  }
}

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], n);
  return out;
}

class Handle {
 public:
  explicit Handle(HANDLE h = INVALID_HANDLE_VALUE) : h_(h) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (valid()) CloseHandle(h_);
  }
  HANDLE get() const { return h_; }
  bool valid() const { return h_ != INVALID_HANDLE_VALUE && h_ != nullptr; }

 private:
  HANDLE h_;
};

HANDLE OpenHandle(const std::string& path, DWORD access, DWORD disposition) {
  return CreateFileW(Wide(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
}

absl::Status WriteAll(HANDLE h, const std::string& path, absl::string_view data) {
  while (!data.empty()) {
    const DWORD chunk = data.size() > 0x40000000u ? 0x40000000u : static_cast<DWORD>(data.size());
    DWORD written = 0;
    if (!WriteFile(h, data.data(), chunk, &written, nullptr)) return WindowsError("write", path, GetLastError());
    data.remove_prefix(written);
  }
  return absl::OkStatus();
}

absl::StatusOr<FileBytes> ReadHandle(HANDLE h, const std::string& path) {
  LARGE_INTEGER size;
  if (!GetFileSizeEx(h, &size)) return WindowsError("size of", path, GetLastError());
  LARGE_INTEGER zero{};
  if (!SetFilePointerEx(h, zero, nullptr, FILE_BEGIN)) return WindowsError("seek", path, GetLastError());
  // One byte more than the file: a read that fills it means the file grew.
  FileBytes out(static_cast<size_t>(size.QuadPart) + 1);
  size_t got = 0;
  for (;;) {
    if (got == out.capacity()) {
      out.set_size(got);
      out.Grow(got * 2);
    }
    const size_t left = out.capacity() - got;
    const DWORD chunk = left > 0x40000000u ? 0x40000000u : static_cast<DWORD>(left);
    DWORD n = 0;
    if (!ReadFile(h, out.data() + got, chunk, &n, nullptr)) return WindowsError("read", path, GetLastError());
    if (n == 0) break;
    got += n;
  }
  out.set_size(got);
  return out;
}

class WindowsJournalFile final : public JournalFile {
 public:
  WindowsJournalFile(std::string path, HANDLE h) : path_(std::move(path)), h_(h) {}

  absl::StatusOr<FileBytes> ReadAll() override { return ReadHandle(h_.get(), path_); }

  absl::Status Append(absl::string_view data) override {
    LARGE_INTEGER zero{};
    if (!SetFilePointerEx(h_.get(), zero, nullptr, FILE_END)) return WindowsError("seek to end of", path_, GetLastError());
    DWORD written = 0;
    if (!WriteFile(h_.get(), data.data(), static_cast<DWORD>(data.size()), &written, nullptr)) {
      return WindowsError("append to", path_, GetLastError());
    }
    if (written != data.size()) {
      return InsufficientStorageError(absl::StrCat("append to ", path_, ": wrote ", written, " of ", data.size(), " bytes"));
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(std::uint64_t size) override {
    LARGE_INTEGER at;
    at.QuadPart = static_cast<LONGLONG>(size);
    if (!SetFilePointerEx(h_.get(), at, nullptr, FILE_BEGIN) || !SetEndOfFile(h_.get())) {
      return WindowsError("truncate", path_, GetLastError());
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (!FlushFileBuffers(h_.get())) return WindowsError("flush", path_, GetLastError());
    return absl::OkStatus();
  }

 private:
  std::string path_;
  Handle h_;
};

class WindowsFileLock final : public FileLock {
 public:
  explicit WindowsFileLock(HANDLE h) : h_(h) {}
  ~WindowsFileLock() override {
    OVERLAPPED overlapped{};
    UnlockFileEx(h_.get(), 0, MAXDWORD, MAXDWORD, &overlapped);
  }

 private:
  Handle h_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<JournalFile>> OpenJournalFile(const std::string& path, bool writable) {
  HANDLE h = OpenHandle(path, writable ? (GENERIC_READ | GENERIC_WRITE) : GENERIC_READ, OPEN_EXISTING);
  if (h == INVALID_HANDLE_VALUE) return WindowsError("open", path, GetLastError());
  return std::unique_ptr<JournalFile>(new WindowsJournalFile(path, h));
}

absl::Status WriteWholeFile(const std::string& path, absl::string_view data, bool sync) {
  Handle h(OpenHandle(path, GENERIC_WRITE, CREATE_ALWAYS));
  if (!h.valid()) return WindowsError("create", path, GetLastError());
  if (absl::Status s = WriteAll(h.get(), path, data); !s.ok()) return s;
  if (sync && !FlushFileBuffers(h.get())) return WindowsError("flush", path, GetLastError());
  return absl::OkStatus();
}

absl::StatusOr<FileBytes> ReadWholeFile(const std::string& path) {
  Handle h(OpenHandle(path, GENERIC_READ, OPEN_EXISTING));
  if (!h.valid()) return WindowsError("open", path, GetLastError());
  return ReadHandle(h.get(), path);
}

absl::StatusOr<bool> FileExists(const std::string& path) {
  if (GetFileAttributesW(Wide(path).c_str()) != INVALID_FILE_ATTRIBUTES) return true;
  const DWORD error = GetLastError();
  if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return false;
  return WindowsError("stat", path, error);
}

absl::Status RenameFileOver(const std::string& from, const std::string& to) {
  if (!MoveFileExW(Wide(from).c_str(), Wide(to).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return WindowsError(absl::StrCat("rename ", from, " over"), to, GetLastError());
  }
  return absl::OkStatus();
}

// MOVEFILE_WRITE_THROUGH already makes the rename durable; NTFS has no
// directory fsync.
absl::Status SyncDirectory(const std::string&) { return absl::OkStatus(); }

absl::Status CreateDirectories(const std::string& dir) {
  if (dir.empty() || dir == ".") return absl::OkStatus();
  const DWORD attributes = GetFileAttributesW(Wide(dir).c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES) {
    if (attributes & FILE_ATTRIBUTE_DIRECTORY) return absl::OkStatus();
    return WindowsError("create directory", dir, ERROR_DIRECTORY);
  }
  const std::string parent = DirectoryOf(dir);
  if (parent != dir && parent != "." && !(parent.size() == 2 && parent[1] == ':')) {
    if (absl::Status s = CreateDirectories(parent); !s.ok()) return s;
  }
  if (!CreateDirectoryW(Wide(dir).c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS) {
    return WindowsError("create directory", dir, GetLastError());
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  size_t end = path.size();
  while (end > 1 && (path[end - 1] == '/' || path[end - 1] == '\\')) --end;
  const size_t slash = path.find_last_of("/\\", end - 1);
  if (slash == std::string::npos) return ".";
  if (slash == 0) return path.substr(0, 1);
  if (slash == 2 && path[1] == ':') return path.substr(0, 3);  // "C:\"
  return path.substr(0, slash);
}

absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& lock_path, bool shared) {
  HANDLE h = OpenHandle(lock_path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED) {
    h = OpenHandle(lock_path, GENERIC_READ, OPEN_EXISTING);
  }
  if (h == INVALID_HANDLE_VALUE) return WindowsError("open lock file", lock_path, GetLastError());
  auto lock = std::make_unique<WindowsFileLock>(h);  // owns h from here
  OVERLAPPED overlapped{};
  const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (shared ? 0 : LOCKFILE_EXCLUSIVE_LOCK);
  if (!LockFileEx(h, flags, 0, MAXDWORD, MAXDWORD, &overlapped)) {
    return WindowsError(shared ? "shared lock" : "exclusive lock", lock_path, GetLastError());
  }
  return std::unique_ptr<FileLock>(std::move(lock));
}

std::string DefaultCatalogPath() {
  const char* program_data = std::getenv("ProgramData");
  std::string base = program_data != nullptr && *program_data != '\0' ? program_data : "C:\\ProgramData";
  return base + "\\hwsnap\\catalog.hwsnap";
}

}  // namespace catalog_internal
}  // namespace hwsnap
