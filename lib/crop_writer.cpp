#include "facerec/crop_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace facerec {

namespace fs = std::filesystem;

cv::Rect unknown_crop_rect(const cv::Rect& box, cv::Size frame) {
  const int pad = std::max(box.width, box.height) / 2;
  const cv::Rect crop = cv::Rect(box.x - pad, box.y - pad, box.width + 2 * pad, box.height + 2 * pad) &
                        cv::Rect(0, 0, frame.width, frame.height);
  if (crop.width < 2 || crop.height < 2) return cv::Rect();
  return crop;
}

std::string unknown_crop_name(std::chrono::system_clock::time_point wall, std::uint64_t stream_ns) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(wall.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y%m%dT%H%M%S", &tm);
  char name[128];
  std::snprintf(name, sizeof name, "unknown-%s.%06dZ-st%" PRIu64 ".%03u.jpg", date,
                static_cast<int>(us % 1000000), stream_ns / 1000000000,
                static_cast<unsigned>((stream_ns % 1000000000) / 1000000));
  return name;
}

bool is_unknown_crop_name(const std::string& n) {
  return n.rfind("unknown-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".jpg") == 0;
}

CropWriter::CropWriter(Saved saved, Failed failed, std::size_t max_pending)
    : saved_(std::move(saved)), failed_(std::move(failed)), max_pending_(max_pending) {}

bool CropWriter::write(const std::string& dir, const std::string& name, cv::Mat image,
                       int max_files) {
  const bool queued = worker_.post(
      [this, dir, name, image = std::move(image), max_files] { write_now(dir, name, image, max_files); },
      max_pending_);
  if (!queued) ++dropped_;
  return queued;
}

void CropWriter::fail(const std::string& path, const std::string& reason) {
  if (failures_++ == 0 && failed_) failed_(path, reason);
}

// Writes all of `data` to a new temporary file in `dir` and renames it to
// `path`. Empty string on success, else why not. Mode 0666 less the umask, as
// g_file_set_contents (which the element used before) gives: not mkstemp's 0600.
static std::string write_atomically(const std::string& dir, const std::string& name,
                                    const std::string& path, const std::vector<uchar>& data) {
  static std::atomic<unsigned> serial{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    tmp = (fs::path(dir) / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(serial++)))
              .string();
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return "cannot create \"" + tmp + "\": " + std::strerror(errno);
  std::string err;
  size_t done = 0;
  while (err.empty() && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) err = "cannot write \"" + tmp + "\": " + std::strerror(n < 0 ? errno : ENOSPC);
    else done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && err.empty()) err = "cannot write \"" + tmp + "\": " + std::strerror(errno);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0)
    err = "cannot rename \"" + tmp + "\" to \"" + path + "\": " + std::strerror(errno);
  if (!err.empty()) ::unlink(tmp.c_str());
  return err;
}

void CropWriter::write_now(const std::string& dir, const std::string& name, const cv::Mat& image,
                           int max_files) {
  auto it = counts_.find(dir);
  if (it == counts_.end()) {  // once per folder: create it, count what is there
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string why = ec ? ec.message() : "a file is in the way";  // the system's reason first
    if (!fs::is_directory(dir, ec)) {  // a file of that name, or a path through one
      fail((fs::path(dir) / name).string(),
           "\"" + dir + "\" is not a folder and cannot be created (" + why + "): give a folder for the crops");
      return;  // checked again on the next crop: the folder may appear
    }
    int n = 0;
    fs::directory_iterator d(dir, ec), end;
    for (; !ec && d != end; d.increment(ec))
      if (is_unknown_crop_name(d->path().filename().string())) ++n;
    it = counts_.emplace(dir, n).first;
  }
  if (max_files > 0 && it->second >= max_files) {
    ++capped_;
    return;
  }
  const std::string path = (fs::path(dir) / name).string();
  std::vector<uchar> jpeg;
  bool encoded = false;
  try {
    encoded = !image.empty() && cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
  } catch (const cv::Exception&) {
    encoded = false;
  }
  if (!encoded) {
    fail(path, "JPEG encoding failed");
    return;
  }
  const std::string err = write_atomically(dir, name, path, jpeg);
  if (!err.empty()) {
    fail(path, err);
    return;
  }
  ++it->second;
  if (saved_) saved_(path);
}

}  // namespace facerec
