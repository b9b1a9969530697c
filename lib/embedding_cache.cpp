// Embedding cache. See facerec/embedding_cache.h.
#include "facerec/embedding_cache.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/safe_io.h"

namespace facerec {

namespace {

constexpr char kMagic[8] = {'F', 'R', 'E', 'C', 'E', 'M', 'B', 'C'};
// 2: entries carry the face quality (measured, size, sharpness, turn). Version 1 files
// (without it) are rebuilt with a warning that says why.
constexpr uint32_t kCacheVersion = 2;
constexpr uint32_t kMaxString = 1u << 16;
constexpr uint32_t kMaxDim = 1u << 14;
// An entry is ~0.3 KB of path and context plus 4 bytes per embedding value: 4 GiB is
// over 1.5 million 512-d entries.
constexpr std::size_t kMaxCacheBytes = std::size_t(4) << 30;

uint64_t fnv1a(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= uint64_t(uint8_t(p[i]));
    h *= 1099511628211ull;
  }
  return h;
}

class Writer {
 public:
  template <typename T>
  void pod(T v) {
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    pod(uint32_t(s.size()));
    buf_.append(s);
  }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

// Bounds-checked reader: every read fails (returns false) past the end.
class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), n_(n) {}
  template <typename T>
  bool pod(T* v) {
    if (n_ - pos_ < sizeof(T)) return false;
    std::memcpy(v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool str(std::string* s) {
    uint32_t len = 0;
    if (!pod(&len) || len > kMaxString || n_ - pos_ < len) return false;
    s->assign(p_ + pos_, len);
    pos_ += len;
    return true;
  }
  bool floats(Embedding* e, uint32_t n) {
    if (n > kMaxDim || (n_ - pos_) / sizeof(float) < n) return false;
    e->resize(n);
    if (n) std::memcpy(e->data(), p_ + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return true;
  }
  size_t left() const { return n_ - pos_; }

 private:
  const char* p_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace

std::string cache_context(const Detector& det, const Embedder& emb) {
  const EmbedderSpec& s = emb.spec();
  return "embedder=" + s.id + " " + std::filesystem::path(emb.path()).filename().string() +
         (s.swap_rb ? " RGB" : " BGR") + (s.flip_average ? " flip" : "") + "; detector=" + det.describe() +
         "; landmarks=refined; pick=area*confidence*centre; alignment variants above " + std::to_string(kAlignmentDoubt);
}

EmbeddingCache::EmbeddingCache(std::string path, std::string context)
    : path_(std::move(path)), context_(std::move(context)) {}

bool EmbeddingCache::file_stamp(const std::string& source, std::string* abs, uint64_t* size,
                                int64_t* mtime) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path a = fs::absolute(source, ec);
  if (ec) return false;
  const auto sz = fs::file_size(a, ec);
  if (ec) return false;
  const auto t = fs::last_write_time(a, ec);
  if (ec) return false;
  *abs = a.lexically_normal().string();
  *size = uint64_t(sz);
  *mtime = int64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
  return true;
}

bool EmbeddingCache::load(std::string* warning) {
  entries_.clear();
  dirty_ = false;
  if (!enabled()) return true;
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return true;
  auto bad = [&](const std::string& why) {
    entries_.clear();
    dirty_ = true;  // rewrite it on save
    if (warning)
      *warning = path_ + ": " + why + "; ignoring the embedding cache, it is rebuilt (delete the file if this repeats)";
    return false;
  };
  // One bounded read of a regular file: a FIFO, a device (/dev/zero) or a folder named
  // as the cache is refused instead of blocking or reading without end.
  std::string data;
  try {
    data = read_file_bounded(path_, kMaxCacheBytes, "name a cache file with --cache, or use --no-cache");
  } catch (const Error& e) {
    entries_.clear();
    dirty_ = true;  // save() says whether it can be written
    if (warning) *warning = std::string("ignoring the embedding cache: ") + e.what();
    return false;
  } catch (const std::exception& e) {  // std::bad_alloc
    return bad(std::string("cannot read the cache file (") + e.what() + ")");
  }
  if (data.size() < sizeof kMagic + sizeof(uint32_t) + 2 * sizeof(uint64_t) ||
      std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    return bad("not an embedding cache file (bad header)");
  const size_t body = data.size() - sizeof(uint64_t);
  uint64_t sum = 0;
  std::memcpy(&sum, data.data() + body, sizeof sum);
  if (sum != fnv1a(data.data(), body)) return bad("corrupt embedding cache (checksum mismatch)");
  Reader r(data.data() + sizeof kMagic, body - sizeof kMagic);
  uint32_t version = 0;
  uint64_t count = 0;
  if (!r.pod(&version)) return bad("corrupt embedding cache (truncated)");
  if (version == 1)
    return bad("embedding cache written by an older gst-facerec (version 1, without the face quality scores): "
               "every image is embedded once more and the cache rewritten");
  if (version != kCacheVersion)
    return bad("embedding cache version " + std::to_string(version) + " is not supported (expected " +
               std::to_string(kCacheVersion) + ")");
  if (!r.pod(&count) || count > r.left()) return bad("corrupt embedding cache (bad entry count)");
  for (uint64_t i = 0; i < count; ++i) {
    Key k;
    Stored s;
    int32_t frame = -1, faces = 0;
    uint8_t used = 0, measured = 0;
    uint32_t dim = 0;
    if (!r.str(&k.path) || !r.pod(&frame) || !r.str(&k.context) || !r.pod(&s.size) || !r.pod(&s.mtime_ns) ||
        !r.pod(&faces) || !r.pod(&s.entry.face_size) || !r.pod(&used) || !r.str(&s.entry.skip_reason) ||
        !r.pod(&dim) || !r.floats(&s.entry.embedding, dim) || !r.pod(&measured) || !r.pod(&s.entry.quality.size) ||
        !r.pod(&s.entry.quality.sharpness) || !r.pod(&s.entry.quality.turn))
      return bad("corrupt embedding cache (truncated entry " + std::to_string(i) + ")");
    if (faces < 0 || used > 1 || (used && dim == 0) || !std::isfinite(s.entry.face_size) || measured > 1 ||
        !std::isfinite(s.entry.quality.size) || !std::isfinite(s.entry.quality.sharpness) ||
        !std::isfinite(s.entry.quality.turn))
      return bad("corrupt embedding cache (invalid entry " + std::to_string(i) + ")");
    for (float v : s.entry.embedding)
      if (!std::isfinite(v)) return bad("corrupt embedding cache (non-finite embedding)");
    k.frame = frame;
    s.entry.faces_found = faces;
    s.entry.used = used != 0;
    s.entry.quality.measured = measured != 0;
    entries_[std::move(k)] = std::move(s);
  }
  if (r.left() != 0) return bad("corrupt embedding cache (trailing data)");
  return true;
}

void EmbeddingCache::save() {
  namespace fs = std::filesystem;
  if (!enabled() || !dirty_) return;
  Writer w;
  w.buf().append(kMagic, sizeof kMagic);
  w.pod(kCacheVersion);
  w.pod(uint64_t(entries_.size()));
  for (const auto& [k, s] : entries_) {
    w.str(k.path);
    w.pod(int32_t(k.frame));
    w.str(k.context);
    w.pod(s.size);
    w.pod(s.mtime_ns);
    w.pod(int32_t(s.entry.faces_found));
    w.pod(s.entry.face_size);
    w.pod(uint8_t(s.entry.used ? 1 : 0));
    w.str(s.entry.skip_reason);
    w.pod(uint32_t(s.entry.embedding.size()));
    w.buf().append(reinterpret_cast<const char*>(s.entry.embedding.data()),
                   s.entry.embedding.size() * sizeof(float));
    w.pod(uint8_t(s.entry.quality.measured ? 1 : 0));
    w.pod(s.entry.quality.size);
    w.pod(s.entry.quality.sharpness);
    w.pod(s.entry.quality.turn);
  }
  w.pod(fnv1a(w.buf().data(), w.buf().size()));
  // Staged and renamed into place; a target that is not a regular file (a device, a
  // FIFO, a folder: `--cache /dev/null` as root) is refused, not replaced.
  try {
    StagedFile f(path_, w.buf());
    f.commit();
  } catch (const Error& e) {
    throw Error(path_, std::string("cannot write the embedding cache: ") + e.what() +
                           " (or disable the cache)");
  }
  dirty_ = false;
}

const CacheEntry* EmbeddingCache::lookup(const std::string& source, int frame) {
  if (!enabled()) return nullptr;
  Key k;
  uint64_t size = 0;
  int64_t mtime = 0;
  if (!file_stamp(source, &k.path, &size, &mtime)) {
    ++misses_;
    return nullptr;
  }
  k.frame = frame;
  k.context = context_;
  const auto it = entries_.find(k);
  if (it == entries_.end() || it->second.size != size || it->second.mtime_ns != mtime) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  it->second.used = true;
  return &it->second.entry;
}

void EmbeddingCache::store(const std::string& source, int frame, const CacheEntry& e) {
  if (!enabled()) return;
  Key k;
  Stored s;
  if (!file_stamp(source, &k.path, &s.size, &s.mtime_ns)) return;
  k.frame = frame;
  k.context = context_;
  s.entry = e;
  s.used = true;
  entries_[std::move(k)] = std::move(s);
  dirty_ = true;
}

size_t EmbeddingCache::prune_unused() {
  size_t removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.used) {
      ++it;
    } else {
      it = entries_.erase(it);
      ++removed;
    }
  }
  if (removed) dirty_ = true;
  return removed;
}

}  // namespace facerec
