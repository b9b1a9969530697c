// See facerec/safe_io.h.
#include "facerec/safe_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "facerec/types.h"

namespace facerec {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_file_bounded(const std::string& path, std::size_t max_bytes, const std::string& fix) {
  Fd f;
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f.fd < 0) {
    const int e = errno;
    if (e == ENOENT) throw Error(path, "file not found: " + fix);
    throw Error(path, "cannot open the file (" + errno_text(e) + "): check its permissions, or " + fix);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw Error(path, "cannot read the file (" + errno_text(errno) + "): " + fix);
  if (!S_ISREG(st.st_mode)) throw Error(path, "not a regular file: give the path of the file itself; " + fix);
  if (std::uint64_t(st.st_size) > max_bytes)
    throw Error(path, "file too large (" + std::to_string(st.st_size) + " bytes, at most " +
                          std::to_string(max_bytes) + "): not a file of this kind? " + fix);
  std::string data;
  data.resize(std::size_t(st.st_size));
  std::size_t got = 0;
  for (;;) {
    if (got == data.size()) {
      // The file may have grown since fstat: read on to its end, within the limit.
      char probe[4096];
      const ssize_t n = ::read(f.fd, probe, sizeof probe);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(path, "cannot read the file (" + errno_text(errno) + "): " + fix);
      if (n == 0) break;
      if (data.size() + std::size_t(n) > max_bytes)
        throw Error(path, "file too large (more than " + std::to_string(max_bytes) + " bytes): " + fix);
      data.append(probe, std::size_t(n));
      got = data.size();
      continue;
    }
    const ssize_t n = ::read(f.fd, &data[got], data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path, "cannot read the file (" + errno_text(errno) + "): " + fix);
    if (n == 0) {  // shrank since fstat
      data.resize(got);
      break;
    }
    got += std::size_t(n);
  }
  return data;
}

void check_json_nesting(std::string_view text, const std::string& path, int max_depth, const std::string& fix) {
  int depth = 0;
  bool in_string = false, escaped = false;
  std::size_t line = 1;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw Error(path, "line " + std::to_string(line) + ": JSON nested more than " + std::to_string(max_depth) +
                              " levels deep: not a file of this kind (damaged or edited?); " + fix);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;  // unbalanced closers are the JSON parser's to report
    }
  }
}

std::string read_json_file(const std::string& path, const std::string& fix, const JsonLimits& limits) {
  std::string text = read_file_bounded(path, limits.max_bytes, fix);
  check_json_nesting(text, path, limits.max_depth, fix);
  return text;
}

void check_replaceable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // absent (or a dangling link): created
  if (S_ISREG(st.st_mode)) return;
  const char* kind = S_ISDIR(st.st_mode)    ? "a folder"
                     : S_ISCHR(st.st_mode)  ? "a character device"
                     : S_ISBLK(st.st_mode)  ? "a block device"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "not a regular file";
  throw Error(path, std::string("refusing to replace ") + kind +
                        " with a file: give the path of a new or existing regular file");
}

StagedFile::StagedFile(std::string path, std::string_view bytes) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  check_replaceable(path_);
  {
    std::error_code ec;
    const fs::path dir = fs::path(path_).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      throw Error(path_, "cannot write the file: folder " + dir.string() + " does not exist (create it first)");
  }
  // A new name every time (O_EXCL), in the target's folder so that the rename stays
  // on one file system; mode 0666 less the umask, like any file the tools write.
  static std::atomic<unsigned> counter{0};
  Fd f;
  for (int attempt = 0; attempt < 100 && f.fd < 0; ++attempt) {
    tmp_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    f.fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f.fd < 0 && errno != EEXIST) {
      const int e = errno;
      tmp_.clear();
      throw Error(path_, "cannot write the file (" + errno_text(e) + "): check that the folder is writable");
    }
  }
  if (f.fd < 0) {
    tmp_.clear();
    throw Error(path_, "cannot create a temporary file next to it: remove stale " + path_ + ".tmp.* files");
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::unlink(tmp_.c_str());
      tmp_.clear();
      throw Error(path_, "cannot write the file (" + errno_text(e) + "): free some space or check the folder");
    }
    done += std::size_t(n);
  }
  // Flushed before the rename: after a power cut the final name holds the old
  // file or the new one, never an empty one.
  if (::fsync(f.fd) != 0 && errno != EINVAL) {
    const int e = errno;
    ::unlink(tmp_.c_str());
    tmp_.clear();
    throw Error(path_, "cannot write the file (" + errno_text(e) + "): free some space or check the folder");
  }
  const int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp_.c_str());
    tmp_.clear();
    throw Error(path_, "cannot write the file (" + errno_text(e) + "): free some space or check the folder");
  }
}

StagedFile::~StagedFile() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void StagedFile::commit() {
  if (tmp_.empty()) throw Error(path_, "internal error: file already committed");
  check_replaceable(path_);  // again: it may have appeared meanwhile
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    throw Error(path_, "cannot put the file in place (" + errno_text(e) + "): check the folder's permissions");
  }
  tmp_.clear();
}

namespace {

// Length of the valid UTF-8 sequence at s[i], 0 when there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F))) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace facerec
