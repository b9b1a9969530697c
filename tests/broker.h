// A real mosquitto broker on 127.0.0.1 (a free port), started and stopped by the
// test, and a libmosquitto subscriber that collects what arrives.
#pragma once

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gst/check/gstcheck.h>

#include "common.h"

namespace testutil {

// The mosquitto broker binary, "" when not installed.
inline std::string mosquitto_binary() {
  gchar* p = g_find_program_in_path("mosquitto");
  std::string s = p ? p : "";
  g_free(p);
  if (s.empty() && g_file_test("/usr/sbin/mosquitto", G_FILE_TEST_IS_EXECUTABLE)) s = "/usr/sbin/mosquitto";
  return s;
}

// True when the broker can be run. Without it: a failure under CI (scripts/install-deps.sh
// installs it), else the test is skipped with the reason (testutil::require).
inline bool require_mosquitto() {
  return require(!mosquitto_binary().empty(), "mosquitto is not installed",
                 "bash scripts/install-deps.sh (Debian's mosquitto)");
}

// A TCP port nobody listens on right now.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  fail_unless(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  fail_unless(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  fail_unless(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

class Broker {
 public:
  struct Options {
    std::string user, password;  // non-empty: a password file, no anonymous access
    bool persistence = false;    // keep sessions and queued messages across a restart
    std::string extra;           // more mosquitto.conf lines
  };

  Broker() : Broker(Options()) {}
  explicit Broker(Options o) : opts_(std::move(o)), port_(free_port()) {
    const std::string conf = dir_ / "mosquitto.conf";
    std::ofstream c(conf);
    c << "listener " << port_ << " 127.0.0.1\n";
    c << "log_dest file " << (dir_ / "mosquitto.log") << "\n";
    c << "log_type all\n";
    // as root mosquitto switches to the "mosquitto" user, who cannot write our folder
    c << "user " << g_get_user_name() << "\n";
    if (!opts_.user.empty()) {
      const auto [rc, out] = run_command("mosquitto_passwd -b -c " + quote(dir_ / "passwd") + " " +
                                         quote(opts_.user) + " " + quote(opts_.password));
      fail_unless(rc == 0, "mosquitto_passwd failed: %s", out.c_str());
      c << "allow_anonymous false\npassword_file " << (dir_ / "passwd") << "\n";
    } else {
      c << "allow_anonymous true\n";
    }
    if (opts_.persistence) {
      // 0: no limit on the messages queued for an offline persistent subscriber
      c << "persistence true\npersistence_location " << dir_.path.string() << "/\nmax_queued_messages 0\n";
    }
    c << opts_.extra;
    c.close();
    start();
  }
  ~Broker() {
    if (pid_ > 0) stop();
  }
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string dir() const { return dir_.path.string(); }
  std::string log() const { return read_all(dir_ / "mosquitto.log"); }

  // Starts the broker (again: same port, same files) and waits until it accepts connections.
  void start() {
    const std::string bin = mosquitto_binary();
    const std::string conf = dir_ / "mosquitto.conf";
    gchar* argv[] = {const_cast<gchar*>(bin.c_str()), const_cast<gchar*>("-c"), const_cast<gchar*>(conf.c_str()),
                     nullptr};
    GError* err = nullptr;
    GPid pid = 0;
    fail_unless(g_spawn_async(nullptr, argv, nullptr,
                              static_cast<GSpawnFlags>(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                                       G_SPAWN_STDERR_TO_DEV_NULL),
                              nullptr, nullptr, &pid, &err),
                "cannot start %s: %s", bin.c_str(), err ? err->message : "?");
    pid_ = pid;
    for (int i = 0; i < 200 && !port_open(port_); ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        fail("mosquitto exited at start:\n%s", log().c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fail_unless(port_open(port_), "mosquitto does not listen on %d:\n%s", port_, log().c_str());
  }

  // SIGTERM (it saves its persistence file) and waits for the process to end.
  void stop() {
    fail_unless(pid_ > 0);
    ::kill(pid_, SIGTERM);
    int status = 0;
    // A loaded machine once left a SIGTERMed mosquitto running for minutes (the test timed
    // out in waitpid): give it 10 s to save and exit, then kill it.
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
      gone = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!gone) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

 private:
  static std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  Options opts_;
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

// A libmosquitto subscriber (qos 1) on its own thread. persistent: a fixed client id
// with a kept session, so that a restarted broker with persistence queues what
// arrives while the subscriber is still reconnecting.
class Subscriber {
 public:
  struct Message {
    std::string topic, payload;
  };

  Subscriber(int port, const std::string& topic, bool persistent = false,
             const std::string& user = "", const std::string& password = "")
      : topic_(topic) {
    mosquitto_lib_init();
    const std::string id = "facerec-test-sub-" + std::to_string(getpid()) + "-" + std::to_string(port);
    m_ = mosquitto_new(persistent ? id.c_str() : nullptr, !persistent, this);
    fail_unless(m_ != nullptr);
    if (!user.empty()) mosquitto_username_pw_set(m_, user.c_str(), password.c_str());
    mosquitto_connect_callback_set(m_, [](mosquitto* m, void* obj, int rc) {
      auto* self = static_cast<Subscriber*>(obj);
      if (rc == 0) mosquitto_subscribe(m, nullptr, self->topic_.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* obj, int, int, const int*) {
      auto* self = static_cast<Subscriber*>(obj);
      std::lock_guard<std::mutex> lk(self->mu_);
      self->subscribed_ = true;
      self->cv_.notify_all();
    });
    mosquitto_message_callback_set(m_, [](mosquitto*, void* obj, const mosquitto_message* msg) {
      auto* self = static_cast<Subscriber*>(obj);
      std::lock_guard<std::mutex> lk(self->mu_);
      self->messages_.push_back(
          {msg->topic, std::string(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen))});
      self->cv_.notify_all();
    });
    mosquitto_reconnect_delay_set(m_, 1, 1, false);  // back as soon as the broker is
    fail_unless_equals_int(mosquitto_connect(m_, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    fail_unless_equals_int(mosquitto_loop_start(m_), MOSQ_ERR_SUCCESS);
    std::unique_lock<std::mutex> lk(mu_);
    fail_unless(cv_.wait_for(lk, std::chrono::seconds(10), [this] { return subscribed_; }), "no SUBACK");
  }
  ~Subscriber() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, false);
    mosquitto_destroy(m_);
  }

  std::vector<Message> messages() const {
    std::lock_guard<std::mutex> lk(mu_);
    return messages_;
  }
  // Waits until pred(messages) holds, at most `timeout`; returns whether it does.
  bool wait_for(const std::function<bool(const std::vector<Message>&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return pred(messages_); });
  }

 private:
  std::string topic_;
  mosquitto* m_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::vector<Message> messages_;
};

}  // namespace testutil
