// Reading and writing the project's own files without trusting them: bounded
// reads done once (what is checked is what is parsed), a nesting check before
// OpenCV's recursive JSON reader sees a file, write-then-rename that refuses to
// replace what is not a regular file, and UTF-8 checks for names shown to users.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace facerec {

// Reads a whole regular file into memory with one open (no stat-then-reopen race
// with a writer renaming files into place). Throws Error(path, ...) when it is
// missing, not a regular file, larger than max_bytes, or unreadable; every message
// ends with `fix` (what the user should do).
std::string read_file_bounded(const std::string& path, std::size_t max_bytes, const std::string& fix);

struct JsonLimits {
  // 1 GiB: a model of 100,000 enrolled 512-d embeddings is ~0.7 GB of JSON text.
  std::size_t max_bytes = std::size_t(1) << 30;
  // The project's files nest 3 levels deep. OpenCV's JSON reader recurses once per
  // level: ~100,000 '[' (a 200 KB file) overflow the stack (SIGSEGV).
  int max_depth = 64;
};

// Throws Error(path, ... + fix) when `text` nests arrays/objects deeper than
// max_depth. Brackets inside JSON strings do not count.
void check_json_nesting(std::string_view text, const std::string& path, int max_depth, const std::string& fix);

// read_file_bounded + check_json_nesting: the text to hand to
// cv::FileStorage(text, READ | MEMORY | FORMAT_JSON).
std::string read_json_file(const std::string& path, const std::string& fix, const JsonLimits& limits = {});

// Throws Error(path, ...) when `path` exists and is not a regular file (a device,
// a FIFO, a folder): replacing it by renaming a file over it would destroy it
// (`facerec-train -o /dev/full` as root replaced the device node). Symbolic links
// are followed.
void check_replaceable(const std::string& path);

// A file written next to its final name under a temporary one, flushed to disk,
// and renamed into place by commit(): a reader never sees half a file and an
// interrupted writer leaves the previous file intact. Dropped without commit():
// the temporary is removed.
class StagedFile {
 public:
  // Checks that `path` is replaceable (check_replaceable) and writes `bytes`.
  // Throws Error(path, ...) naming the cause (missing folder, permissions, disk full).
  StagedFile(std::string path, std::string_view bytes);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  void commit();  // throws Error(path, ...)
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
};

bool is_valid_utf8(std::string_view s);

// s with every byte that is not part of valid UTF-8, and every ASCII control
// character, written as \xNN: safe to print and to put in a GStreamer message.
std::string printable(std::string_view s);

}  // namespace facerec
