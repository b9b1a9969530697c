// The shared network registry (facerec/net_registry.h).
#include "detail.h"
#include "facerec/net_registry.h"

#include <sys/stat.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <map>

#include "facerec/models.h"
#include "facerec/types.h"

namespace facerec {

namespace {

// $FACEREC_NET_POOL: 0 = every user loads its own network, N >= 1 = shared, N copies.
NetSharing sharing_from_env() {
  NetSharing s;
  if (const char* v = std::getenv(kNetPoolEnv); v && *v) {
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (!end || *end != '\0' || n < 0 || n > 64)
      throw Error("", std::string(kNetPoolEnv) + "='" + v +
                          "' is not valid: set 0 (every element loads its own networks) or the "
                          "number of copies of a shared network, 1-64, or unset it (1)");
    s.share = n > 0;
    s.pool_size = n > 0 ? static_cast<int>(n) : 1;
  }
  return s;
}

std::mutex g_mutex;  // guards g_nets, g_sharing and g_sharing_set
std::map<std::string, std::weak_ptr<void>> g_nets;
NetSharing g_sharing;
bool g_sharing_set = false;  // false: g_sharing still to be read from the environment
std::atomic<std::size_t> g_loads{0};

// A resolved file as part of a key: its real path plus size and modification time, so
// that a file replaced on disk is not mistaken for the network already loaded from it.
std::string file_key(const std::string& path) {
  if (path.empty()) return "-";
  char buf[PATH_MAX];
  const std::string real = ::realpath(path.c_str(), buf) ? std::string(buf) : path;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return real;
  return real + "|" + std::to_string(static_cast<long long>(st.st_size)) + "|" +
         std::to_string(static_cast<long long>(st.st_mtim.tv_sec)) + "." +
         std::to_string(static_cast<long long>(st.st_mtim.tv_nsec));
}

}  // namespace

void set_net_sharing(const NetSharing& sharing) {
  std::lock_guard<std::mutex> lk(g_mutex);
  g_sharing = sharing;
  if (g_sharing.pool_size < 1) g_sharing.pool_size = 1;
  g_sharing_set = true;
}

NetSharing net_sharing() {
  std::lock_guard<std::mutex> lk(g_mutex);
  if (!g_sharing_set) {  // read on first use, so a bad value is an Error, not a crash at start-up
    g_sharing = sharing_from_env();
    g_sharing_set = true;
  }
  return g_sharing;
}

std::size_t net_loads() { return g_loads.load(); }

namespace detail {

void count_load() { ++g_loads; }

std::shared_ptr<void> acquire_erased(const std::string& kind, const std::string& model,
                                     const std::string& config, const NetOptions& options,
                                     const MakeShared& make) {
  // Missing files are reported here, naming the file and the directories searched.
  const std::string path = resolve_model(model);
  const std::string cfg = config.empty() ? std::string() : resolve_model(config);
  const NetSharing sharing = net_sharing();
  if (!sharing.share) return make(path, cfg, 1);
  const std::string key = kind + "\n" + file_key(path) + "\n" + file_key(cfg) + "\n" +
                          std::to_string(options.backend) + "/" + std::to_string(options.target);
  // Loading happens under the registry lock: a second user of the same file waits for
  // the first load instead of loading it again. Loads of different files are serialised
  // too; they only happen when elements start.
  std::lock_guard<std::mutex> lk(g_mutex);
  for (auto it = g_nets.begin(); it != g_nets.end();)  // forget networks nobody uses
    it = it->second.expired() ? g_nets.erase(it) : std::next(it);
  if (auto it = g_nets.find(key); it != g_nets.end())
    if (auto shared = it->second.lock()) return shared;
  std::shared_ptr<void> shared = make(path, cfg, sharing.pool_size);
  g_nets[key] = shared;
  return shared;
}

}  // namespace detail

std::shared_ptr<SharedNet> acquire_net(const std::string& model, const std::string& config,
                                       const NetOptions& options) {
  return acquire_shared<cv::dnn::Net>(
      "opencv-dnn", model, config, options, [options](const std::string& m, const std::string& c) {
        cv::dnn::Net net = detail::read_dnn(m, c);
        net.setPreferableBackend(options.backend);
        net.setPreferableTarget(options.target);
        return net;
      });
}

}  // namespace facerec

extern "C" std::size_t facerec_net_loads(void) { return facerec::net_loads(); }
