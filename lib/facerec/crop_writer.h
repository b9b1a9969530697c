// CropWriter: saves unknown-face crops as JPEG files on a worker thread, so
// that the streaming thread never touches the disk. Plus the two pure helpers
// that say which pixels a crop holds and what its file is called.
//
// Rules:
// - write() queues a crop and returns at once. At most `max_pending` (8) crops
//   wait (the one being written does not count); more are dropped and counted
//   (dropped()): a slow disk costs crops, never frames.
// - Folder cap: the first crop for a folder creates the folder (and parents)
//   and counts the "unknown-*.jpg" files already there, once; then each saved
//   crop counts one. A crop that would exceed `max_files` (> 0) is skipped
//   (capped()); 0: no limit. The count is per writer: files others add or
//   remove later are not seen.
// - Each file is JPEG quality 92, mode 0666 less the umask, written under a
//   temporary name (".<name>.tmp-<pid>-<n>" in the same folder, so it never
//   matches unknown-*.jpg) and renamed into place: readers never see half a JPEG.
// - saved(path) after each file; failed(path, reason) for the first failure
//   only (the element warns once, not per crop); failures() counts them all.
//   Callbacks run on the worker thread.
// - The destructor writes the crops still queued, then joins.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <opencv2/core.hpp>

#include "facerec/task_thread.h"

namespace facerec {

// The crop saved for an unknown face: the box with half its larger side of
// context on every side (facerec-train must detect the face again, and the
// detector needs context), clipped to the frame. Empty (cv::Rect()) when less
// than 2x2 pixels are left.
cv::Rect unknown_crop_rect(const cv::Rect& box, cv::Size frame);

// "unknown-<UTC yyyymmddThhmmss>.<microseconds, 6 digits>Z-st<stream seconds>.<ms, 3 digits>.jpg":
// unique, sortable, and tied to the stream position `stream_ns`.
std::string unknown_crop_name(std::chrono::system_clock::time_point wall, std::uint64_t stream_ns);

// True for "unknown-*.jpg" (the files the folder cap counts).
bool is_unknown_crop_name(const std::string& file_name);

class CropWriter {
 public:
  using Saved = std::function<void(const std::string& path)>;
  using Failed = std::function<void(const std::string& path, const std::string& reason)>;

  explicit CropWriter(Saved saved = {}, Failed failed = {}, std::size_t max_pending = 8);
  ~CropWriter() = default;  // worker_ (last member) writes the queue, then joins
  CropWriter(const CropWriter&) = delete;
  CropWriter& operator=(const CropWriter&) = delete;

  // Queues `image` (8-bit BGR or gray; shared, not copied: pass a crop that
  // nobody writes to, e.g. a clone) for dir/name. False: dropped, queue full.
  bool write(const std::string& dir, const std::string& name, cv::Mat image, int max_files);

  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t capped() const { return capped_; }
  std::uint64_t failures() const { return failures_; }
  void wait_idle() { worker_.wait_idle(); }

 private:
  void write_now(const std::string& dir, const std::string& name, const cv::Mat& image,
                 int max_files);  // worker
  void fail(const std::string& path, const std::string& reason);  // worker

  Saved saved_;
  Failed failed_;
  std::size_t max_pending_;
  std::map<std::string, int> counts_;  // worker only: unknown crops per folder
  std::atomic<std::uint64_t> dropped_{0}, capped_{0}, failures_{0};
  TaskThread worker_;  // last: joined before the members above go away
};

}  // namespace facerec
