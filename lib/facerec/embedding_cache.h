// Embedding cache: remembers, per image (or video frame), what detection and
// embedding gave, so that re-running facerec-train / facerec-eval after adding a
// person only embeds the new files.
//
// Key: (source path made absolute, frame index (-1 for a still image), file size,
//       file modification time, context) where the context names the embedder id
//       and the detector description (see cache_context()). A file that changed
//       size or mtime, or a different detector / embedder, is a miss.
// Value: faces found, size of the enrolled face (shorter side, pixels), whether an
//        embedding was made (and why not), the embedding of that face, its quality
//        (enrolment_quality.h; since version 2: a version 1 file is ignored with a
//        warning that says so, and rebuilt).
//
// File format (binary, little-endian host order, versioned):
//   "FRECEMBC" magic, u32 version, u64 entry count, entries, u64 FNV-1a checksum
//   of everything before it. A file that is truncated, has a wrong magic,
//   version or checksum, or does not parse is ignored with a warning (and
//   rewritten on save): a cache never makes a run fail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "facerec/enrolment_quality.h"
#include "facerec/types.h"

namespace facerec {

class Detector;
class Embedder;

struct CacheEntry {
  int faces_found = 0;
  float face_size = 0.f;    // shorter side of the enrolled face's box, pixels
  bool used = false;        // an embedding was made
  std::string skip_reason;  // when !used
  Embedding embedding;
  FaceQuality quality;      // of the enrolled face (measured when a face was found)
};

// "embedder=<id> <file name> <RGB|BGR>[ flip]; detector=<describe()>; landmarks=refined;
// pick=area*confidence*centre; alignment variants above <kAlignmentDoubt>" (the channel
// order and flip averaging are the embedder's preprocessing; the last three name the
// landmark, face-pick and alignment-variant rules: entries made under other rules miss;
// describe() says when the landmark refinement is off and when the mirror check is on)
std::string cache_context(const Detector& det, const Embedder& emb);

class EmbeddingCache {
 public:
  EmbeddingCache() = default;  // disabled: every lookup misses, save() does nothing
  // path: the cache file; context: cache_context() of the networks in use.
  EmbeddingCache(std::string path, std::string context);

  // Reads the file. Missing file: empty cache, true. Unreadable / corrupt file:
  // empty cache, false, *warning says why (the file is rewritten by save()).
  bool load(std::string* warning = nullptr);
  // Writes the file (atomically: temporary file + rename). Throws Error naming
  // the file when it cannot be written. Does nothing for a disabled cache or
  // when nothing changed since load().
  void save();

  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // frame: -1 for a still image, else the video frame index. Returns nullptr on a
  // miss (also when the file cannot be stat'ed). Counts hits and misses.
  const CacheEntry* lookup(const std::string& source, int frame = -1);
  void store(const std::string& source, int frame, const CacheEntry& e);

  // Drops every entry that no lookup() hit and no store() wrote since load():
  // images removed from the dataset, entries of other detectors / embedders or
  // landmark rules. Returns how many were dropped; save() writes the result.
  // For a cache that belongs to one dataset (facerec-train's MODEL.cache), not
  // for one shared between datasets.
  size_t prune_unused();

  size_t size() const { return entries_.size(); }
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  struct Key {
    std::string path;
    int frame = -1;
    std::string context;
    bool operator<(const Key& o) const {
      return std::tie(path, frame, context) < std::tie(o.path, o.frame, o.context);
    }
  };
  struct Stored {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    CacheEntry entry;
    bool used = false;  // hit or stored since load()
  };
  bool file_stamp(const std::string& source, std::string* abs, uint64_t* size, int64_t* mtime) const;

  std::string path_;
  std::string context_;
  std::map<Key, Stored> entries_;
  size_t hits_ = 0;
  size_t misses_ = 0;
  bool dirty_ = false;
};

}  // namespace facerec
