#include "fuzz_common.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

namespace fuzz {

namespace {
struct Scratch {
  std::string dir;
  Scratch() {
    const std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    dir = base + "/facerec-fuzz-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};
}  // namespace

const std::string& scratch_dir() {
  static Scratch s;
  return s.dir;
}

std::string write_scratch(const std::string& name, const char* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) finding("cannot write the scratch file " + path);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) finding("cannot write the scratch file " + path);
    done += size_t(n);
  }
  ::close(fd);
  return path;
}

}  // namespace fuzz
