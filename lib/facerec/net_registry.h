// One loaded network per process: a registry of shared networks (part of the models unit).
//
// Every detector, landmark net and embedder gets its network here. Two users that name
// the same file (after resolving: the same real path, size and modification time, the
// same config file, backend and target) get the same SharedModel, however many elements
// or threads they are. A SharedModel is freed when its last user lets go; a file replaced
// on disk is a new key, so it is loaded afresh.
//
// cv::dnn::Net::forward is not safe to call from two threads at once (setInput/forward
// share the net's state, and forward's result points into the net's own buffers), so a
// SharedModel hands each caller a copy for the duration of one call, see with(). The
// number of copies is the pool size, NetSharing::pool_size; copies beyond the first are
// loaded on demand, only when callers actually overlap.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/dnn.hpp>

namespace facerec {

// Backend and target of an OpenCV DNN network (part of the registry key).
struct NetOptions {
  int backend = cv::dnn::DNN_BACKEND_DEFAULT;
  int target = cv::dnn::DNN_TARGET_CPU;
};

// How networks are shared. Process-wide; read when a network is loaded. Until
// set_net_sharing() is called it comes from $FACEREC_NET_POOL when set: 0 = not shared,
// N = shared, N copies (net_sharing() and so every acquisition throw Error on another value).
struct NetSharing {
  // false: every acquisition loads its own network (what the library did before the
  // registry; kept for comparisons, see bench/facerec-shared-nets).
  bool share = true;
  // Copies of one shared network that run at the same time; 1: calls are serialised.
  // Measured with bench/facerec-shared-nets on 2 cores, three runs (bench/README.md): with
  // 2 streams serialised calls were as fast as separate networks (0.99-1.09x) with 26 %
  // less peak RSS, a pool of 2 no faster (0.95-1.03x) with none saved; with 4 streams
  // serialised 0.86-0.89x with 42 % less, a pool of 2 0.88-0.98x with 17-22 % less. 1 keeps
  // an extra stream's memory near zero (+1-4 MB, against +28-57 MB for a pool of 2);
  // 2 buys up to 10 % with 4 streams.
  int pool_size = 1;
};
constexpr const char* kNetPoolEnv = "FACEREC_NET_POOL";
void set_net_sharing(const NetSharing& sharing);
NetSharing net_sharing();

// Networks (and other models) this copy of the library has read from disk so far: every
// load counts, including pool copies and unshared loads. For tests and diagnostics.
std::size_t net_loads();

template <class T>
class SharedModel {
 public:
  using Loader = std::function<T()>;

  // Loads the first copy now (so a bad file fails here); throws what load throws.
  SharedModel(std::string path, Loader load, int pool_size)
      : path_(std::move(path)), load_(std::move(load)), pool_(pool_size < 1 ? 1 : pool_size) {
    all_.push_back(std::make_unique<T>(load_copy()));
    free_.push_back(all_.back().get());
  }
  SharedModel(const SharedModel&) = delete;
  SharedModel& operator=(const SharedModel&) = delete;

  // Runs fn(T&) with exclusive use of one copy and returns its result. Anything fn reads
  // out of the model (a forward() result) must be copied before fn returns.
  template <class Fn>
  decltype(auto) with(Fn&& fn) {
    Lease lease(*this);
    return fn(*lease.copy);
  }

  const std::string& path() const { return path_; }
  int pool_size() const { return pool_; }
  // Copies loaded so far (1..pool_size).
  int copies() const {
    std::lock_guard<std::mutex> lk(m_);
    return static_cast<int>(all_.size());
  }

 private:
  struct Lease {
    SharedModel& owner;
    T* copy;
    explicit Lease(SharedModel& o) : owner(o), copy(o.take()) {}
    ~Lease() { owner.give(copy); }
  };

  T load_copy();  // load_() and count it (below)

  T* take() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!free_.empty()) {
        T* c = free_.back();
        free_.pop_back();
        return c;
      }
      if (static_cast<int>(all_.size()) + loading_ < pool_) {
        // All copies busy and the pool may grow: load one more, outside the lock.
        ++loading_;
        lk.unlock();
        std::unique_ptr<T> c;
        try {
          c = std::make_unique<T>(load_copy());
        } catch (...) {
          lk.lock();
          --loading_;
          cv_.notify_one();
          throw;
        }
        lk.lock();
        --loading_;
        all_.push_back(std::move(c));
        return all_.back().get();
      }
      cv_.wait(lk);
    }
  }
  void give(T* c) {
    {
      std::lock_guard<std::mutex> lk(m_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

  const std::string path_;
  const Loader load_;
  const int pool_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<T>> all_;
  std::vector<T*> free_;
  int loading_ = 0;
};

using SharedNet = SharedModel<cv::dnn::Net>;

// The shared OpenCV DNN network of a model file (and its config: deploy.prototxt for
// Caffe, .pbtxt for TensorFlow). model and config are paths or bare names (resolved on
// the model search path, see models.h). Throws Error naming the file when it is missing
// or OpenCV cannot read it.
std::shared_ptr<SharedNet> acquire_net(const std::string& model, const std::string& config = "",
                                       const NetOptions& options = {});

// The same registry for a model type other than cv::dnn::Net (cv::FaceDetectorYN, which
// loads its own network). `kind` names the type and is part of the key; load(model_path,
// config_path) makes one copy from the resolved files.
template <class T>
std::shared_ptr<SharedModel<T>> acquire_shared(
    const std::string& kind, const std::string& model, const std::string& config,
    const NetOptions& options, std::function<T(const std::string&, const std::string&)> load);

namespace detail {
using MakeShared =
    std::function<std::shared_ptr<void>(const std::string& path, const std::string& config, int pool)>;
std::shared_ptr<void> acquire_erased(const std::string& kind, const std::string& model,
                                     const std::string& config, const NetOptions& options,
                                     const MakeShared& make);
void count_load();
}  // namespace detail

template <class T>
T SharedModel<T>::load_copy() {
  T c = load_();
  detail::count_load();
  return c;
}

template <class T>
std::shared_ptr<SharedModel<T>> acquire_shared(
    const std::string& kind, const std::string& model, const std::string& config,
    const NetOptions& options, std::function<T(const std::string&, const std::string&)> load) {
  auto p = detail::acquire_erased(
      kind, model, config, options,
      [&load](const std::string& path, const std::string& cfg, int pool) -> std::shared_ptr<void> {
        return std::make_shared<SharedModel<T>>(path, [load, path, cfg] { return load(path, cfg); }, pool);
      });
  return std::static_pointer_cast<SharedModel<T>>(p);
}

}  // namespace facerec

// net_loads() with C linkage, so a test can read the count of the library copy linked
// into a dlopen()ed module (the GStreamer plugin) with dlsym().
extern "C" std::size_t facerec_net_loads(void);
