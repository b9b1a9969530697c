// MQTT publishing for facepublish: a bounded, ordered queue in front of
// libmosquitto's threaded loop. Plain C++ (no GStreamer, no GLib).
//
// publish() only appends to the queue and hands what the connection can take to
// libmosquitto (which writes on its own thread), so the caller never waits for the
// network. While the broker is unreachable messages wait in the queue; when it is
// full the oldest is dropped and counted. libmosquitto reconnects with backoff
// (1 s, 4 s, 9 s, ... at most 30 s); on reconnect the queue drains in order.
// QoS 1/2 messages handed over but not yet acknowledged when the connection breaks
// are kept and re-sent by libmosquitto, so with qos >= 1 nothing is lost without
// being counted. QoS 0 is "at most once": a message is counted delivered when it is
// handed to the connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

struct mosquitto;

namespace facerec {

struct MqttAddress {
  std::string host;
  int port = 1883;
  bool tls = false;  // mqtts://
};

// "host", "host:port", "[v6addr]:port", "mqtt://host[:port]", "mqtts://host[:port]"
// (default port 1883, 8883 for mqtts). Throws facerec::Error naming what is wrong.
MqttAddress parse_mqtt_address(const std::string& address);

// A topic from a template: %s the stream's source, %p the person, %t the message
// type, %% a '%'. Values have '/', '+', '#' and control characters replaced by '_'
// (a value is one topic level and never a wildcard); empty values become '_'. Throws
// facerec::Error for an unknown %-sequence or a template with '+' or '#'.
std::string expand_topic(const std::string& tmpl, const std::string& source, const std::string& person,
                         const std::string& type);
// Throws facerec::Error when expand_topic() would (checked once, at start).
void check_topic_template(const std::string& tmpl);

struct MqttOptions {
  MqttAddress address;
  std::string client_id;           // empty: libmosquitto makes one up
  std::string username, password;  // empty username: anonymous
  std::string ca_file, cert_file, key_file;
  bool tls_insecure = false;  // do not verify the broker's certificate and name
  int qos = 1;
  size_t queue_size = 5000;
  int keepalive_s = 30;
};

class MqttPublisher {
 public:
  struct Callbacks {  // called on libmosquitto's thread; may be empty
    std::function<void()> connected;
    std::function<void(const std::string& reason)> disconnected;
    std::function<void(const std::string& reason)> refused;  // CONNACK refused, TLS failure
    // Drops so far (`total`): at the first drop since the last connection (`first`),
    // then at most once a second while dropping, and once more when reconnected.
    // Called on the thread that publishes, or libmosquitto's (reconnect).
    std::function<void(uint64_t total, bool first)> dropped;
  };
  enum class Start { Connected, Refused, NoAnswer };
  struct Stats {
    uint64_t delivered = 0;  // acknowledged (qos >= 1) / handed over (qos 0)
    uint64_t dropped = 0;    // oldest dropped from a full queue, or refused by libmosquitto
    size_t queued = 0;       // waiting in the queue
    size_t in_flight = 0;    // handed to libmosquitto, not yet acknowledged
    bool connected = false;
  };

  // Throws facerec::Error (naming the file) for unreadable TLS files, bad options.
  MqttPublisher(MqttOptions options, Callbacks callbacks);
  // Disconnects and stops the loop thread; what is still queued is lost (see stats()).
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  // Starts connecting on libmosquitto's thread and waits at most `timeout` for the
  // broker's first answer. Refused: `reason` says why (wrong credentials, not
  // authorised, the broker's certificate or name does not verify);
  // NoAnswer: unreachable or silent, `reason` says what happened; the thread keeps
  // trying either way until destruction.
  Start start(std::chrono::milliseconds timeout, std::string* reason);

  // Queues one message. Returns how many old messages were dropped to make room.
  size_t publish(std::string topic, std::string payload);

  // Waits until everything queued has been delivered, at most `timeout`; returns
  // how many messages are still queued or in flight.
  size_t flush(std::chrono::milliseconds timeout);

  Stats stats() const;

 private:
  struct Message {
    std::string topic, payload;
  };
  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_publish(struct mosquitto*, void* self, int mid);
  static void on_log(struct mosquitto*, void* self, int level, const char* text);
  void refuse(const std::string& reason);
  void drain();
  // Whether to call cb_.dropped now (mu_ held); updates the report state.
  bool drop_report_due(bool reconnected, bool* first);

  MqttOptions opts_;
  Callbacks cb_;
  struct mosquitto* mosq_ = nullptr;
  bool loop_started_ = false;

  std::mutex send_mu_;  // serialises drain(): messages leave the queue in order
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;  // mu_
  size_t in_flight_ = 0;       // mu_
  uint64_t delivered_ = 0, dropped_ = 0;
  bool connected_ = false;
  bool resending_ = false;  // reconnected with messages in flight: hold newer ones
  bool dropping_ = false;   // dropped since the last connection
  uint64_t drops_reported_ = 0;
  std::chrono::steady_clock::time_point last_drop_report_;
  bool answered_ = false;  // the first connection attempt ended (either way)
  bool refused_ = false;
  std::string answer_;
  std::string tls_detail_;  // libmosquitto's last TLS error detail (host name check)
};

}  // namespace facerec
