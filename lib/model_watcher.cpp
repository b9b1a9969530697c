#include "facerec/model_watcher.h"

#include <sys/stat.h>

#include <stdexcept>
#include <utility>

namespace facerec {

FileSignature file_signature(const std::string& path) {
  FileSignature f;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return f;
  f.exists = true;
  f.size = static_cast<std::int64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  f.ino = static_cast<std::uint64_t>(st.st_ino);
  return f;
}

ModelSignature model_signature(const std::string& path) {
  return {file_signature(path), file_signature(path + ".svm")};
}

const char* source_name(ModelSource s) { return s == ModelSource::Watch ? "watch" : "property"; }

ModelWatcherCore::ModelWatcherCore(Loader loader, Reloaded reloaded, Failed failed,
                                   WatchOptions options)
    : loader_(std::move(loader)),
      reloaded_(std::move(reloaded)),
      failed_(std::move(failed)),
      opt_(std::move(options)) {
  if (!opt_.clock)
    opt_.clock = [] {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now().time_since_epoch())
                                           .count());
    };
}

void ModelWatcherCore::reset(const std::string& path) {
  std::lock_guard<std::mutex> load(load_lock_);
  Object obj;
  ModelSignature sig;
  if (!path.empty()) {
    sig = model_signature(path);  // before loading: a rewrite during the load is noticed later
    obj = loader_(path);
    if (!obj) throw std::runtime_error(path + ": the model loader returned nothing");
  }
  std::lock_guard<std::mutex> lk(lock_);
  path_ = obj ? path : std::string();
  sig_ = sig;
  obj_ = std::move(obj);
  bad_path_.clear();
  bad_sig_ = ModelSignature{};
}

LoadResult ModelWatcherCore::load_now(const std::string& path) {
  std::lock_guard<std::mutex> load(load_lock_);
  return load_locked(path, ModelSource::Property);
}

LoadResult ModelWatcherCore::load_locked(const std::string& path, ModelSource source) {
  const ModelSignature sig = path.empty() ? ModelSignature{} : model_signature(path);
  {
    std::lock_guard<std::mutex> lk(lock_);
    if (path_ == path && (path.empty() || sig_ == sig)) return LoadResult::Unchanged;
    if (source == ModelSource::Watch) {
      if (!obj_ || path_ != path) return LoadResult::Unchanged;  // the model changed meanwhile
      if (bad_path_ == path && bad_sig_ == sig) return LoadResult::Unchanged;  // reported already
    }
    if (path.empty()) {
      path_.clear();
      sig_ = ModelSignature{};
      obj_.reset();
      return LoadResult::Cleared;
    }
  }
  Object obj;
  try {
    obj = loader_(path);
    if (!obj) throw std::runtime_error(path + ": the model loader returned nothing");
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lk(lock_);
      bad_path_ = path;
      bad_sig_ = sig;
    }
    if (failed_) failed_(path, e, source);
    return LoadResult::Failed;
  }
  {
    std::lock_guard<std::mutex> lk(lock_);
    path_ = path;
    sig_ = sig;
    obj_ = obj;
  }
  if (reloaded_) reloaded_(path, obj, source);
  return LoadResult::Loaded;
}

bool ModelWatcherCore::poll() {
  const std::int64_t now = opt_.clock();
  if (checked_ && now - last_check_ < static_cast<std::int64_t>(opt_.period.count())) return false;
  checked_ = true;
  last_check_ = now;
  if (pending_) return false;
  std::string path, bad_path;
  ModelSignature loaded, bad;
  {
    std::lock_guard<std::mutex> lk(lock_);
    if (!obj_) return false;
    path = path_;
    loaded = sig_;
    bad_path = bad_path_;
    bad = bad_sig_;
  }
  ++poll_stats_;
  const ModelSignature sig = model_signature(path);
  if (sig == loaded || (bad_path == path && sig == bad)) return false;
  pending_ = true;
  if (!worker_.post([this, path] { settle_and_reload(path); })) {
    pending_ = false;  // stopping
    return false;
  }
  return true;
}

void ModelWatcherCore::settle_and_reload(const std::string& path) {
  // Let the files settle (a writer may still be busy, MODEL and MODEL.svm are
  // written one after the other): unchanged for `settle`, at most settle_rounds.
  ModelSignature sig = model_signature(path);
  bool stopping = false;
  for (int i = 0; i < opt_.settle_rounds; ++i) {
    if (opt_.on_settle_round) opt_.on_settle_round(i);
    if (!worker_.sleep_for(opt_.settle)) {
      stopping = true;
      break;
    }
    const ModelSignature now = model_signature(path);
    if (now == sig) break;
    sig = now;
  }
  if (!stopping && !worker_.stopping()) {
    std::lock_guard<std::mutex> load(load_lock_);
    load_locked(path, ModelSource::Watch);
  }
  pending_ = false;
}

void ModelWatcherCore::clear() {
  std::lock_guard<std::mutex> load(load_lock_);
  std::lock_guard<std::mutex> lk(lock_);
  path_.clear();
  sig_ = ModelSignature{};
  obj_.reset();
  bad_path_.clear();
  bad_sig_ = ModelSignature{};
}

ModelWatcherCore::Object ModelWatcherCore::current() const {
  std::lock_guard<std::mutex> lk(lock_);
  return obj_;
}

std::string ModelWatcherCore::current_path() const {
  std::lock_guard<std::mutex> lk(lock_);
  return path_;
}

}  // namespace facerec
