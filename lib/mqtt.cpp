// MQTT publishing: bounded queue in front of libmosquitto's threaded loop (see mqtt.h).
#include "facerec/mqtt.h"

#include <mosquitto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "facerec/types.h"

namespace facerec {

namespace {

constexpr const char* kAddressForms =
    "use host, host:port, [IPv6]:port, mqtt://host[:port] or mqtts://host[:port]";

// Messages handed to libmosquitto and not yet acknowledged. Beyond this they wait
// in our queue, so a slow or silent broker cannot make libmosquitto's own
// (unbounded) queue grow past the `queue-size` bound by more than this.
constexpr size_t kMaxInFlight = 64;

// Reconnect delays: min * (attempt)^2 (libmosquitto's "exponential" backoff), capped.
constexpr unsigned kReconnectMinS = 1, kReconnectMaxS = 30;

// Drop reports while dropping: at most one a second.
constexpr std::chrono::seconds kDropReportInterval(1);

int parse_port(const std::string& s, const std::string& address) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error("", "bad port \"" + s + "\" in MQTT address \"" + address + "\": " + kAddressForms);
  const int port = std::stoi(s);
  if (port < 1 || port > 65535)
    throw Error("", "port " + s + " out of range (1..65535) in MQTT address \"" + address + "\"");
  return port;
}

std::string sanitize_level(const std::string& v) {
  if (v.empty()) return "_";
  std::string out = v;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '+' || c == '#' || u < 0x20 || u == 0x7f) c = '_';
  }
  return out;
}

// libmosquitto's texts end with '.', strerror()'s do not: none, so callers can add their own.
std::string sentence(std::string s) {
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  return s;
}

void mosquitto_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

void check_readable(const std::string& file, const char* what) {
  if (file.empty()) return;
  if (access(file.c_str(), R_OK) != 0)
    throw Error(file, std::string("cannot read the ") + what + ": " + std::strerror(errno));
}

}  // namespace

MqttAddress parse_mqtt_address(const std::string& address) {
  MqttAddress a;
  std::string rest = address;
  const size_t scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = rest.substr(0, scheme_end);
    if (scheme == "mqtts") {
      a.tls = true;
      a.port = 8883;
    } else if (scheme != "mqtt") {
      throw Error("", "unknown scheme \"" + scheme + "://\" in MQTT address \"" + address + "\": " + kAddressForms);
    }
    rest = rest.substr(scheme_end + 3);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
  }
  if (rest.find('@') != std::string::npos)
    throw Error("", "credentials in the MQTT address are not accepted (they would show in logs): set the "
                    "username and password properties");
  if (rest.find('/') != std::string::npos)
    throw Error("", "a path in MQTT address \"" + address + "\": " + kAddressForms);
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) throw Error("", "unclosed '[' in MQTT address \"" + address + "\"");
    a.host = rest.substr(1, close - 1);
    const std::string tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') throw Error("", "bad MQTT address \"" + address + "\": " + kAddressForms);
      a.port = parse_port(tail.substr(1), address);
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string::npos && rest.find(':', colon + 1) != std::string::npos)
      throw Error("", "IPv6 address without brackets in \"" + address + "\": write [addr]:port");
    a.host = rest.substr(0, colon);
    if (colon != std::string::npos) a.port = parse_port(rest.substr(colon + 1), address);
  }
  if (a.host.empty()) throw Error("", "no host in MQTT address \"" + address + "\": " + kAddressForms);
  return a;
}

void check_topic_template(const std::string& tmpl) { expand_topic(tmpl, "s", "p", "t"); }

std::string expand_topic(const std::string& tmpl, const std::string& source, const std::string& person,
                         const std::string& type) {
  if (tmpl.empty()) throw Error("", "the MQTT topic is empty");
  if (tmpl.find_first_of("+#") != std::string::npos)
    throw Error("", "MQTT topic \"" + tmpl + "\" has a wildcard ('+' or '#'), which is not allowed when publishing");
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') {
      out += tmpl[i];
      continue;
    }
    const char k = i + 1 < tmpl.size() ? tmpl[i + 1] : '\0';
    ++i;
    switch (k) {
      case 's': out += sanitize_level(source); break;
      case 'p': out += sanitize_level(person); break;
      case 't': out += sanitize_level(type); break;
      case '%': out += '%'; break;
      default:
        throw Error("", "unknown placeholder \"%" + std::string(k ? 1 : 0, k) + "\" in MQTT topic \"" + tmpl +
                            "\": use %s (source), %p (person), %t (message type) or %%");
    }
  }
  return out;
}

MqttPublisher::MqttPublisher(MqttOptions options, Callbacks callbacks)
    : opts_(std::move(options)), cb_(std::move(callbacks)) {
  if (opts_.qos < 0 || opts_.qos > 2) throw Error("", "qos must be 0, 1 or 2");
  if (opts_.queue_size == 0) throw Error("", "the queue size must be at least 1");
  check_readable(opts_.ca_file, "CA file");
  check_readable(opts_.cert_file, "client certificate");
  check_readable(opts_.key_file, "client key");
  if (opts_.cert_file.empty() != opts_.key_file.empty())
    throw Error(opts_.cert_file.empty() ? opts_.key_file : opts_.cert_file,
                "a client certificate needs both cert-file and key-file");
  mosquitto_init_once();
  mosq_ = mosquitto_new(opts_.client_id.empty() ? nullptr : opts_.client_id.c_str(), true, this);
  if (mosq_ == nullptr) throw Error("", std::string("cannot create an MQTT client: ") + std::strerror(errno));
  mosquitto_connect_callback_set(mosq_, &MqttPublisher::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttPublisher::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &MqttPublisher::on_publish);
  mosquitto_log_callback_set(mosq_, &MqttPublisher::on_log);
  mosquitto_reconnect_delay_set(mosq_, kReconnectMinS, kReconnectMaxS, true);
  if (!opts_.username.empty())
    mosquitto_username_pw_set(mosq_, opts_.username.c_str(), opts_.password.empty() ? nullptr : opts_.password.c_str());
  const bool tls = opts_.address.tls || !opts_.ca_file.empty() || !opts_.cert_file.empty();
  if (tls) {
    // without a CA file: the system's CA folder
    const int rc = mosquitto_tls_set(mosq_, opts_.ca_file.empty() ? nullptr : opts_.ca_file.c_str(),
                                     opts_.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                                     opts_.cert_file.empty() ? nullptr : opts_.cert_file.c_str(),
                                     opts_.key_file.empty() ? nullptr : opts_.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_destroy(mosq_);
      throw Error(opts_.ca_file, std::string("TLS setup failed: ") + mosquitto_strerror(rc));
    }
    mosquitto_tls_opts_set(mosq_, opts_.tls_insecure ? 0 : 1, nullptr, nullptr);
    mosquitto_tls_insecure_set(mosq_, opts_.tls_insecure);
  }
}

MqttPublisher::~MqttPublisher() {
  bool connected;
  {
    std::lock_guard<std::mutex> lk(mu_);
    connected = connected_;
  }
  mosquitto_disconnect(mosq_);
  // Connected: the loop sends DISCONNECT and ends by itself. Not connected: the loop
  // may sit in a blocking connect() to an unreachable host (minutes of SYN
  // retries) or in its reconnect sleep, holding no libmosquitto lock: cancel it.
  if (loop_started_) mosquitto_loop_stop(mosq_, !connected);
  mosquitto_destroy(mosq_);
}

MqttPublisher::Start MqttPublisher::start(std::chrono::milliseconds timeout, std::string* reason) {
  const MqttAddress& a = opts_.address;
  // The thread first, then the connect: a connect_async() made before loop_start()
  // that fails while writing CONNECT puts the client back to its "new" state, where
  // the thread waits forever instead of reconnecting (libmosquitto 2.0.11).
  const int lrc = mosquitto_loop_start(mosq_);
  if (lrc != MOSQ_ERR_SUCCESS) throw Error("", std::string("cannot start the MQTT thread: ") + mosquitto_strerror(lrc));
  loop_started_ = true;
  const int rc = mosquitto_connect_async(mosq_, a.host.c_str(), a.port, opts_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {  // refused at once, unknown host, TLS: the thread retries with backoff
    std::lock_guard<std::mutex> lk(mu_);
    if (!answered_) answer_ = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : sentence(mosquitto_strerror(rc));
    answered_ = true;
  }
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, timeout, [this] { return answered_; });
  if (reason) *reason = answered_ ? answer_ : "no answer within " + std::to_string(timeout.count()) + " ms";
  if (connected_) return Start::Connected;
  return refused_ ? Start::Refused : Start::NoAnswer;
}

bool MqttPublisher::drop_report_due(bool reconnected, bool* first) {
  const auto now = std::chrono::steady_clock::now();
  *first = !reconnected && !dropping_;
  const bool due = reconnected ? dropped_ != drops_reported_  // what the last report missed
                               : *first || now - last_drop_report_ >= kDropReportInterval;
  dropping_ = !reconnected;
  if (due) {
    drops_reported_ = dropped_;
    last_drop_report_ = now;
  }
  return due;
}

// A refusal that is no CONNACK: the broker's certificate or name does not verify.
void MqttPublisher::refuse(const std::string& reason) {
  bool first;
  {
    std::lock_guard<std::mutex> lk(mu_);
    first = !answered_;
    if (first) {
      answered_ = refused_ = true;
      answer_ = reason;
    }
  }
  cv_.notify_all();
  if (!first && cb_.refused) cb_.refused(reason);
}

// libmosquitto reports TLS failures only in its log ("Error: host name verification
// failed." then "OpenSSL Error[0]: ...certificate verify failed"); they are refusals:
// the configuration (ca-file, address) must change, waiting does not help.
void MqttPublisher::on_log(struct mosquitto*, void* obj, int level, const char* text) {
  auto* self = static_cast<MqttPublisher*>(obj);
  if (level != MOSQ_LOG_ERR || text == nullptr) return;
  const std::string t = text;
  if (t.find("verification failed") != std::string::npos) {
    std::lock_guard<std::mutex> lk(self->mu_);
    self->tls_detail_ = sentence(t.rfind("Error: ", 0) == 0 ? t.substr(7) : t);
    return;
  }
  if (t.rfind("OpenSSL Error", 0) != 0) return;
  std::string detail;
  {
    std::lock_guard<std::mutex> lk(self->mu_);
    detail.swap(self->tls_detail_);
  }
  const size_t colon = t.rfind(':');
  self->refuse("TLS: " + (detail.empty() ? "" : detail + ", ") +
               (colon != std::string::npos ? t.substr(colon + 1) : t));
}

void MqttPublisher::on_connect(struct mosquitto*, void* obj, int rc) {
  auto* self = static_cast<MqttPublisher*>(obj);
  const std::string reason = rc == 0 ? "" : sentence(mosquitto_connack_string(rc));
  bool report = false, first = false;
  uint64_t total = 0;
  {
    std::lock_guard<std::mutex> lk(self->mu_);
    if (rc == 0) {
      report = self->drop_report_due(true, &first);
      total = self->dropped_;
    }
    self->tls_detail_.clear();
    self->connected_ = rc == 0;
    // libmosquitto re-sends the unacknowledged messages only after this callback
    // returns: newer ones wait until those are acknowledged, or they would overtake
    self->resending_ = rc == 0 && self->in_flight_ > 0;
    if (!self->answered_) {
      self->answered_ = true;
      self->refused_ = rc != 0;
      self->answer_ = rc == 0 ? "connected" : reason;
    }
  }
  self->cv_.notify_all();
  if (rc == 0) {
    if (report && self->cb_.dropped) self->cb_.dropped(total, false);
    if (self->cb_.connected) self->cb_.connected();
    self->drain();
  } else if (self->cb_.refused) {
    self->cb_.refused(reason);
  }
}

void MqttPublisher::on_disconnect(struct mosquitto*, void* obj, int rc) {
  auto* self = static_cast<MqttPublisher*>(obj);
  const std::string reason = rc == 0 ? "disconnected" : sentence(mosquitto_strerror(rc));
  bool was_connected;
  {
    std::lock_guard<std::mutex> lk(self->mu_);
    was_connected = self->connected_;
    self->connected_ = false;
    if (!self->answered_) {
      self->answered_ = true;
      self->answer_ = rc == MOSQ_ERR_ERRNO && errno ? std::strerror(errno) : reason;
    }
  }
  self->cv_.notify_all();
  // rc 0: our own mosquitto_disconnect() (destruction), not a lost connection
  if (was_connected && rc != 0 && self->cb_.disconnected) self->cb_.disconnected(reason);
}

void MqttPublisher::on_publish(struct mosquitto*, void* obj, int) {
  auto* self = static_cast<MqttPublisher*>(obj);
  if (self->opts_.qos == 0) return;  // counted when handed over
  {
    std::lock_guard<std::mutex> lk(self->mu_);
    if (self->in_flight_ > 0) --self->in_flight_;
    if (self->in_flight_ == 0) self->resending_ = false;
    ++self->delivered_;
  }
  self->cv_.notify_all();
  self->drain();
}

size_t MqttPublisher::publish(std::string topic, std::string payload) {
  size_t dropped = 0;
  bool report = false, first = false;
  uint64_t total = 0;
  {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(Message{std::move(topic), std::move(payload)});
    while (queue_.size() > opts_.queue_size) {
      queue_.pop_front();
      ++dropped;
    }
    dropped_ += dropped;
    if (dropped > 0) report = drop_report_due(false, &first);
    total = dropped_;
  }
  if (report && cb_.dropped) cb_.dropped(total, first);
  drain();
  return dropped;
}

// Hands queued messages to libmosquitto, oldest first, while connected and the
// in-flight window has room. mosquitto_publish() only queues a packet for the loop
// thread (threaded mode), so this never waits for the network.
void MqttPublisher::drain() {
  std::lock_guard<std::mutex> send(send_mu_);
  for (;;) {
    Message m;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!connected_ || resending_ || queue_.empty() || in_flight_ >= kMaxInFlight) return;
      m = std::move(queue_.front());
      queue_.pop_front();
      if (opts_.qos > 0) ++in_flight_;
    }
    const int rc = mosquitto_publish(mosq_, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                                     m.payload.data(), opts_.qos, false);
    // Connection errors: a qos >= 1 message is already in libmosquitto's list (it
    // re-sends it after reconnecting); a qos 0 one goes back to the front, in order.
    const bool conn_error = rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (rc == MOSQ_ERR_SUCCESS || (conn_error && opts_.qos > 0)) {
        if (opts_.qos == 0) ++delivered_;
      } else if (conn_error) {
        queue_.push_front(std::move(m));
        return;
      } else {
        if (opts_.qos > 0) --in_flight_;
        ++dropped_;  // refused by libmosquitto itself (oversize, bad UTF-8): never sendable
      }
    }
    cv_.notify_all();
  }
}

size_t MqttPublisher::flush(std::chrono::milliseconds timeout) {
  drain();
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, timeout, [this] { return queue_.empty() && in_flight_ == 0; });
  return queue_.size() + in_flight_;
}

MqttPublisher::Stats MqttPublisher::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  Stats s;
  s.delivered = delivered_;
  s.dropped = dropped_;
  s.queued = queue_.size();
  s.in_flight = in_flight_;
  s.connected = connected_;
  return s;
}

}  // namespace facerec
