// ModelWatcher<T>: holds the model an element uses (an immutable T, shared by
// std::shared_ptr<const T>), reloads it when its files are rewritten, and swaps
// it in without ever blocking the streaming thread on file I/O. T is whatever
// the loader callback returns (facerecognize: a classifier); this unit knows
// nothing about it.
//
// Rules:
// - The files of a model at PATH are PATH and PATH.svm; their signature is
//   (exists, size, mtime ns, ctime ns, inode) of both (model_signature()). The
//   signature is taken just before a load, so a rewrite during the load is
//   noticed by the next check.
// - poll(): called by one streaming thread, every frame when watching. At most
//   once per `period` (1 s) of the injected clock it stats the two files of the
//   current model (nothing when there is none, or while a reload is queued or
//   running). A signature different from the current model's, and from the
//   last one that failed to load for that path, is handed to the worker thread;
//   poll() then returns true.
// - The worker lets the files settle: it stats them every `settle` (200 ms)
//   until two stats agree, at most `settle_rounds` (20) times (~4 s), then loads
//   them, unless the current model changed path meanwhile or the files are back
//   to the current model's signature. A writer still writing (size or mtime
//   changing) is thus waited for; MODEL and MODEL.svm may be written one after
//   the other.
// - load_now(path): the `model` property set while playing, on the caller's
//   thread. Unchanged when the path and the signature are those of the current
//   model; "" clears the current model.
// - reset(path): start(); loads synchronously and throws what the loader throws
//   (the element posts an ERROR). No callbacks. "" : no model. Forgets failures.
// - A load that throws (or returns nullptr) keeps the current model, calls
//   `failed` and remembers (path, signature): the watch neither retries nor
//   reports those files again until they change (one warning, not one a
//   second); an explicit load_now() of them does try again. Success publishes
//   the new object and calls `reloaded`. Loads are serialised (caller's and
//   worker's).
//   Callbacks run on the loading thread and must not call load_now/reset/clear.
// - current(): the current object, cheap (a mutex-guarded shared_ptr copy) and
//   safe from any thread; holders keep an old object alive after a swap.
// - clear(): no current model, failures forgotten (stop()); waits for a load in
//   progress. The destructor interrupts a settle at once and joins the worker
//   (it does wait for a loader call already running).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "facerec/task_thread.h"

namespace facerec {

// What stat() says about one file; compared to notice a rewrite.
struct FileSignature {
  bool exists = false;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileSignature& o) const {
    return exists == o.exists && size == o.size && mtime_ns == o.mtime_ns &&
           ctime_ns == o.ctime_ns && ino == o.ino;
  }
  bool operator!=(const FileSignature& o) const { return !(*this == o); }
};

// MODEL and MODEL.svm.
struct ModelSignature {
  FileSignature model, svm;
  bool operator==(const ModelSignature& o) const { return model == o.model && svm == o.svm; }
  bool operator!=(const ModelSignature& o) const { return !(*this == o); }
};

FileSignature file_signature(const std::string& path);
ModelSignature model_signature(const std::string& path);  // path and path + ".svm"

// Who asked for a load: the `model` property (load_now) or the watch.
enum class ModelSource { Property, Watch };
// "property", "watch" (the reloaded message's `reason`).
const char* source_name(ModelSource s);

enum class LoadResult { Unchanged, Loaded, Cleared, Failed };

struct WatchOptions {
  std::chrono::nanoseconds period = std::chrono::seconds(1);
  std::chrono::nanoseconds settle = std::chrono::milliseconds(200);
  int settle_rounds = 20;
  // Clock of poll()'s rate limit, nanoseconds; empty: std::chrono::steady_clock.
  std::function<std::int64_t()> clock;
  // Test seam: called on the worker before each settle wait (round 0, 1, ...).
  std::function<void(int round)> on_settle_round;
};

// The type-erased watcher; use ModelWatcher<T>.
class ModelWatcherCore {
 public:
  using Object = std::shared_ptr<const void>;
  using Loader = std::function<Object(const std::string& path)>;
  using Reloaded = std::function<void(const std::string& path, const Object& obj, ModelSource)>;
  using Failed = std::function<void(const std::string& path, const std::exception& error, ModelSource)>;

  ModelWatcherCore(Loader loader, Reloaded reloaded, Failed failed, WatchOptions options);
  ~ModelWatcherCore() = default;  // worker_ (last member) stops first
  ModelWatcherCore(const ModelWatcherCore&) = delete;
  ModelWatcherCore& operator=(const ModelWatcherCore&) = delete;

  void reset(const std::string& path);
  LoadResult load_now(const std::string& path);
  bool poll();
  void clear();
  Object current() const;
  std::string current_path() const;

  // Diagnostics and tests: stat pairs made by poll(); a reload queued or running;
  // blocks until the worker is idle.
  std::uint64_t poll_stats() const { return poll_stats_; }
  bool busy() const { return pending_; }
  void wait_idle() { worker_.wait_idle(); }

 private:
  LoadResult load_locked(const std::string& path, ModelSource source);  // load_lock_ held
  void settle_and_reload(const std::string& path);                       // worker

  Loader loader_;
  Reloaded reloaded_;
  Failed failed_;
  WatchOptions opt_;

  mutable std::mutex lock_;  // the fields below up to bad_sig_
  std::string path_;         // the current model
  ModelSignature sig_;
  Object obj_;
  std::string bad_path_;  // the files that failed last (reported once)
  ModelSignature bad_sig_;

  std::mutex load_lock_;  // one load at a time
  bool checked_ = false;  // poll() (one streaming thread)
  std::int64_t last_check_ = 0;
  std::atomic<bool> pending_{false};
  std::atomic<std::uint64_t> poll_stats_{0};
  TaskThread worker_;  // last: joined before the members above go away
};

template <typename T>
class ModelWatcher {
 public:
  using Ptr = std::shared_ptr<const T>;
  using Loader = std::function<Ptr(const std::string& path)>;
  using Reloaded = std::function<void(const std::string& path, const Ptr& obj, ModelSource)>;
  using Failed = ModelWatcherCore::Failed;

  explicit ModelWatcher(Loader loader, Reloaded reloaded = {}, Failed failed = {},
                        WatchOptions options = {})
      : core_([loader](const std::string& p) -> ModelWatcherCore::Object { return loader(p); },
              wrap(std::move(reloaded)), std::move(failed), std::move(options)) {}

  void reset(const std::string& path) { core_.reset(path); }
  LoadResult load_now(const std::string& path) { return core_.load_now(path); }
  bool poll() { return core_.poll(); }
  void clear() { core_.clear(); }
  Ptr current() const { return std::static_pointer_cast<const T>(core_.current()); }
  std::string current_path() const { return core_.current_path(); }
  std::uint64_t poll_stats() const { return core_.poll_stats(); }
  bool busy() const { return core_.busy(); }
  void wait_idle() { core_.wait_idle(); }

 private:
  static ModelWatcherCore::Reloaded wrap(Reloaded r) {
    if (!r) return {};
    return [r](const std::string& p, const ModelWatcherCore::Object& o, ModelSource s) {
      r(p, std::static_pointer_cast<const T>(o), s);
    };
  }

  ModelWatcherCore core_;
};

}  // namespace facerec
