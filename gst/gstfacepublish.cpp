// gst-facerec: facepublish, sends face events and per-frame results to an MQTT broker.
//
// A pass-through filter after facerecognize (like faceexport), so the same pipeline
// can still display, record or export. what=events (default): facerecognize pushes
// every face-appeared / face-left / unknown-face it posts on the bus also downstream
// as a custom event with the same structure (one source of truth, in stream order);
// it is sent as docs/facepublish-event.schema.json. what=results: the faceexport
// object of every buffer (faceresult_json, the same bytes). Topic: `topic` with %s,
// %p, %t (facerec/mqtt.h). Messages go through facerec::MqttPublisher (bounded queue,
// libmosquitto's thread): the streaming thread never waits for the network, except
// at start (`connect-timeout`: a refusal is an error, no answer a warning) and EOS
// (a flush of at most `flush-timeout`).
//
// Example:
//   ... ! facerecognize model=people.model ! facepublish address=broker:1883
//       topic=cameras/%s/%t source=door what=events+results ! fakesink
#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <string>

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

#include "elements.h"
#include "faceresult_json.h"
#include "facerec/mqtt.h"
#include "facerec/types.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_publish_debug);
#define GST_CAT_DEFAULT gst_facerec_publish_debug

namespace {

enum What : guint { kEvents = 1 << 0, kResults = 1 << 1 };
constexpr const char* kDefaultAddress = "localhost:1883";
constexpr const char* kDefaultTopic = "facerec/%s/%t";
constexpr gint kDefaultQos = 1;
constexpr guint kDefaultQueueSize = 5000, kDefaultFlushTimeout = 5000, kDefaultConnectTimeout = 3000;

struct Settings {  // GST_OBJECT_LOCK
  std::string address = kDefaultAddress, topic = kDefaultTopic;
  facerec::MqttOptions mqtt;  // all but the address; strings "": unset
  bool has_source = false, embeddings = false;
  std::string source;
  guint what = kEvents, flush_timeout = kDefaultFlushTimeout, connect_timeout = kDefaultConnectTimeout;
  Settings() {
    mqtt.qos = kDefaultQos;
    mqtt.queue_size = kDefaultQueueSize;
  }
};

struct State {  // start() .. stop()
  explicit State(const Settings& s) : settings(s) {}
  const Settings settings;  // as at start()
  std::unique_ptr<facerec::MqttPublisher> pub;
  std::string address;  // mqtt[s]://host:port, for messages
  int width = 0, height = 0;
  guint64 frame = 0;
  gstfacerec::StreamSource source;
  JsonGenerator* gen = json_generator_new();
  GString* text = g_string_sized_new(4096);
  std::atomic<bool> running{false};  // start() has returned
  ~State() {
    pub.reset();  // joins the MQTT thread before the rest goes
    g_object_unref(gen);
    g_string_free(text, TRUE);
  }
};

struct Private {
  Settings settings;
  std::unique_ptr<State> state;
  guint64 last_dropped = 0, last_delivered = 0;  // of the last run, after stop(); OBJECT_LOCK
};

}  // namespace

struct GstFacePublish {
  GstBaseTransform parent;
  gstfacerec::InstancePrivate<Private> priv;
};
struct GstFacePublishClass { GstBaseTransformClass parent_class; };

enum {
  PROP_0, PROP_ADDRESS, PROP_TOPIC, PROP_QOS, PROP_CLIENT_ID, PROP_USERNAME, PROP_PASSWORD,
  PROP_CA_FILE, PROP_CERT_FILE, PROP_KEY_FILE, PROP_TLS_INSECURE, PROP_WHAT, PROP_SOURCE,
  PROP_EMBEDDINGS, PROP_QUEUE_SIZE, PROP_FLUSH_TIMEOUT, PROP_CONNECT_TIMEOUT, PROP_DROPPED,
  PROP_DELIVERED,
};

#define GST_TYPE_FACEREC_PUBLISH (gst_facerec_publish_get_type())
#define GST_FACEREC_PUBLISH(obj) (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_PUBLISH, GstFacePublish))
G_DEFINE_TYPE(GstFacePublish, gst_facerec_publish, GST_TYPE_BASE_TRANSFORM)

GType gst_facerec_publish_what_get_type(void) {
  static GType type = 0;
  static const GFlagsValue values[] = {
      {kEvents, "face-appeared, face-left and unknown-face events from facerecognize", "events"},
      {kResults, "the faceexport object of every frame", "results"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_flags_register_static("GstFacePublishWhat", values));
  return type;
}

static std::string* string_setting(Settings& s, guint prop_id) {
  switch (prop_id) {
    case PROP_ADDRESS: return &s.address;
    case PROP_TOPIC: return &s.topic;
    case PROP_CLIENT_ID: return &s.mqtt.client_id;
    case PROP_USERNAME: return &s.mqtt.username;
    case PROP_PASSWORD: return &s.mqtt.password;
    case PROP_CA_FILE: return &s.mqtt.ca_file;
    case PROP_CERT_FILE: return &s.mqtt.cert_file;
    case PROP_KEY_FILE: return &s.mqtt.key_file;
    default: return nullptr;
  }
}

static void gst_facerec_publish_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  Settings& s = self->priv->settings;
  if (std::string* str = string_setting(s, prop_id)) {
    const gchar* v = g_value_get_string(value);
    *str = v ? v : (prop_id == PROP_ADDRESS ? kDefaultAddress : prop_id == PROP_TOPIC ? kDefaultTopic : "");
    GST_OBJECT_UNLOCK(self);
    return;
  }
  switch (prop_id) {
    case PROP_QOS: s.mqtt.qos = g_value_get_int(value); break;
    case PROP_TLS_INSECURE: s.mqtt.tls_insecure = g_value_get_boolean(value); break;
    case PROP_WHAT: s.what = g_value_get_flags(value); break;
    case PROP_SOURCE: {
      const gchar* v = g_value_get_string(value);
      s.has_source = v != nullptr;
      s.source = v ? v : "";
      break;
    }
    case PROP_EMBEDDINGS: s.embeddings = g_value_get_boolean(value); break;
    case PROP_QUEUE_SIZE: s.mqtt.queue_size = g_value_get_uint(value); break;
    case PROP_FLUSH_TIMEOUT: s.flush_timeout = g_value_get_uint(value); break;
    case PROP_CONNECT_TIMEOUT: s.connect_timeout = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_publish_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  Private* p = &*self->priv;
  const Settings& s = p->settings;
  facerec::MqttPublisher* pub = p->state ? p->state->pub.get() : nullptr;
  if (prop_id != PROP_PASSWORD) {  // write-only: never read back
    if (std::string* str = string_setting(const_cast<Settings&>(s), prop_id)) {
      g_value_set_string(value, str->empty() ? nullptr : str->c_str());
      GST_OBJECT_UNLOCK(self);
      return;
    }
  }
  switch (prop_id) {
    case PROP_QOS: g_value_set_int(value, s.mqtt.qos); break;
    case PROP_TLS_INSECURE: g_value_set_boolean(value, s.mqtt.tls_insecure); break;
    case PROP_WHAT: g_value_set_flags(value, s.what); break;
    case PROP_SOURCE: g_value_set_string(value, s.has_source ? s.source.c_str() : nullptr); break;
    case PROP_EMBEDDINGS: g_value_set_boolean(value, s.embeddings); break;
    case PROP_QUEUE_SIZE: g_value_set_uint(value, static_cast<guint>(s.mqtt.queue_size)); break;
    case PROP_FLUSH_TIMEOUT: g_value_set_uint(value, s.flush_timeout); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_uint(value, s.connect_timeout); break;
    case PROP_DROPPED: g_value_set_uint64(value, pub ? pub->stats().dropped : p->last_dropped); break;
    case PROP_DELIVERED: g_value_set_uint64(value, pub ? pub->stats().delivered : p->last_delivered); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void post_element_message(GstFacePublish* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}
static void post_dropped(GstFacePublish* self, guint64 total, guint queue_size) {
  post_element_message(self, gst_structure_new("facepublish-dropped", "dropped", G_TYPE_UINT64, total, "queue-size",
                                               G_TYPE_UINT, queue_size, nullptr));
}

// Queues one message (`node` as JSON) on the topic for this stream, person and type.
static void send(State* st, const char* type, const char* person, JsonNode* node) {
  g_string_truncate(st->text, 0);
  gstfacerec::write_json(st->gen, node, st->text, false);
  const std::string topic =
      facerec::expand_topic(st->settings.topic, st->source.topic_name(), person ? person : "", type);
  st->pub->publish(topic, std::string(st->text->str, st->text->len));  // drops: reported by cb.dropped
}

// The "source" of the next message (see StreamSource); valid until the next call.
// `embeddings` (may be NULL): the property now (it may change while playing).
static const char* resolve_source(GstFacePublish* self, State* st, bool* embeddings = nullptr) {
  GST_OBJECT_LOCK(self);
  const bool has = self->priv->settings.has_source;
  const std::string prop = self->priv->settings.source;
  if (embeddings) *embeddings = self->priv->settings.embeddings;
  GST_OBJECT_UNLOCK(self);
  return st->source.resolve(GST_ELEMENT(self), GST_BASE_TRANSFORM_SINK_PAD(self), has ? prop.c_str() : nullptr);
}

static void post_settings_error(GstFacePublish* self, const facerec::Error& e) {
  if (e.file().empty())
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Invalid MQTT settings: %s", e.what()),
                      ("see gst-inspect-1.0 facepublish for the accepted values"));
  else
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not use an MQTT TLS file: %s", e.what()),
                      ("check the ca-file, cert-file and key-file properties"));
}

static gboolean gst_facerec_publish_start(GstBaseTransform* trans) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  const Settings s = self->priv->settings;
  GST_OBJECT_UNLOCK(self);
  auto st = std::make_unique<State>(s);
  facerec::MqttOptions o = s.mqtt;
  const guint queue_size = static_cast<guint>(o.queue_size);
  try {
    o.address = facerec::parse_mqtt_address(s.address);
    facerec::check_topic_template(s.topic);
    st->address = (o.address.tls ? "mqtts://" : "mqtt://") + o.address.host + ":" + std::to_string(o.address.port);
    State* raw = st.get();
    facerec::MqttPublisher::Callbacks cb;
    cb.connected = [self, raw] {  // `raw` outlives the thread: ~State joins it first
      GST_INFO_OBJECT(self, "connected to %s", raw->address.c_str());
      post_element_message(self, gst_structure_new("facepublish-connected", "address", G_TYPE_STRING,
                                                   raw->address.c_str(), nullptr));
    };
    cb.disconnected = [self, raw, queue_size](const std::string& why) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("Lost the connection to the MQTT broker at %s: %s.", raw->address.c_str(), why.c_str()),
                          ("reconnecting with backoff; messages wait in the queue (queue-size %u)", queue_size));
      post_element_message(self, gst_structure_new("facepublish-disconnected", "address", G_TYPE_STRING,
                                                   raw->address.c_str(), "reason", G_TYPE_STRING, why.c_str(), nullptr));
    };
    cb.dropped = [self, raw, queue_size](uint64_t total, bool first) {
      if (first)
        GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                            ("The MQTT queue is full (%u messages, broker at %s not reachable): dropping the oldest "
                             "messages.", queue_size, raw->address.c_str()),
                            ("raise queue-size to hold a longer outage"));
      post_dropped(self, total, queue_size);
    };
    cb.refused = [self, raw](const std::string& why) {  // at start: an error, posted by start()
      if (raw->running)
        GST_ELEMENT_WARNING(self, RESOURCE, OPEN_WRITE,
                            ("The MQTT broker at %s refused the connection: %s.", raw->address.c_str(), why.c_str()),
                            ("retrying with backoff; check the username and password properties"));
    };
    st->pub = std::make_unique<facerec::MqttPublisher>(o, std::move(cb));
  } catch (const facerec::Error& e) {
    post_settings_error(self, e);
    return FALSE;
  }
  GST_INFO_OBJECT(self, "connecting to %s (client id %s, user %s, TLS %s, qos %d)", st->address.c_str(),
                  o.client_id.empty() ? "(generated)" : o.client_id.c_str(),
                  o.username.empty() ? "(none)" : o.username.c_str(),
                  o.address.tls || !o.ca_file.empty() || !o.cert_file.empty() ? "on" : "off", o.qos);
  std::string why;
  facerec::MqttPublisher::Start r;
  try {
    r = st->pub->start(std::chrono::milliseconds(s.connect_timeout), &why);
  } catch (const facerec::Error& e) {
    post_settings_error(self, e);
    return FALSE;
  }
  if (r == facerec::MqttPublisher::Start::Refused) {  // wrong password, not authorised, TLS: an error
    const std::string hint = why.rfind("TLS", 0) == 0
        ? std::string("the broker's certificate must chain to ca-file and name the host of `address`")
        : "check the username (" + (o.username.empty() ? std::string("not set") : o.username) +
              ") and password properties, and the broker's access rules";
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                      ("Could not connect to the MQTT broker at %s: %s.", st->address.c_str(), why.c_str()),
                      ("%s", hint.c_str()));
    return FALSE;
  }
  if (r == facerec::MqttPublisher::Start::NoAnswer)
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_WRITE,
                        ("Could not connect to the MQTT broker at %s: %s.", st->address.c_str(), why.c_str()),
                        ("retrying in the background; up to %u messages wait in the queue", queue_size));
  st->running = true;
  GST_OBJECT_LOCK(self);  // get_property reads the counters through it
  self->priv->state = std::move(st);
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_facerec_publish_stop(GstBaseTransform* trans) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  std::unique_ptr<State> st = std::move(self->priv->state);
  GST_OBJECT_UNLOCK(self);
  if (!st) return TRUE;
  st->running = false;
  // what never reached the broker is lost with the client: counted as dropped
  const facerec::MqttPublisher::Stats s = st->pub->stats();
  const guint64 lost = s.queued + s.in_flight;
  GST_OBJECT_LOCK(self);
  self->priv->last_dropped = s.dropped + lost;
  self->priv->last_delivered = s.delivered;
  GST_OBJECT_UNLOCK(self);
  if (lost > 0) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("%" G_GUINT64_FORMAT " MQTT messages were not delivered to %s before stopping.", lost,
                         st->address.c_str()), ("the broker was not reachable; flush-timeout bounds the wait at EOS"));
    post_dropped(self, s.dropped + lost, static_cast<guint>(st->settings.mqtt.queue_size));
  }
  st.reset();
  return TRUE;
}

static gboolean gst_facerec_publish_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  State* st = GST_FACEREC_PUBLISH(trans)->priv->state.get();
  if (st != nullptr) {
    const GstStructure* s = gst_caps_get_structure(incaps, 0);
    gint w = 0, h = 0;
    st->width = gst_structure_get_int(s, "width", &w) && w > 0 ? w : 0;
    st->height = gst_structure_get_int(s, "height", &h) && h > 0 ? h : 0;
  }
  return TRUE;
}

static gboolean gst_facerec_publish_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(trans);
  State* st = self->priv->state.get();
  if (st != nullptr) {
    st->source.on_event(event);
    const GstStructure* s = gst_event_get_structure(event);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM && (st->settings.what & kEvents) && s &&
        gstfacerec::is_face_event(s)) {
      const char* source = resolve_source(self, st);
      const char* label = gst_structure_has_name(s, "unknown-face") ? "unknown" : gst_structure_get_string(s, "label");
      send(st, gst_structure_get_name(s), label, gstfacerec::face_event_node(s, source).get());
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
      // a file pipeline ends here: give the last messages a bounded time to leave
      const size_t left = st->pub->flush(std::chrono::milliseconds(st->settings.flush_timeout));
      if (left > 0)
        GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                            ("%zu MQTT messages not delivered to %s within flush-timeout (%u ms).", left,
                             st->address.c_str(), st->settings.flush_timeout),
                            ("they stay queued while the element runs"));
    }
  }
  return GST_BASE_TRANSFORM_CLASS(gst_facerec_publish_parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_facerec_publish_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(trans);
  State* st = self->priv->state.get();
  if (st == nullptr) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("Not started"), ("transform called before start()"));
    return GST_FLOW_ERROR;
  }
  if (!(st->settings.what & kResults)) return GST_FLOW_OK;
  gstfacerec::ResultContext ctx;
  ctx.frame = st->frame++;
  ctx.source = resolve_source(self, st, &ctx.embeddings);
  ctx.width = st->width;
  ctx.height = st->height;
  send(st, "results", nullptr, gstfacerec::face_result_node(buf, ctx).get());
  return GST_FLOW_OK;
}

static void gst_facerec_publish_init(GstFacePublish* self) {
  self->priv.construct();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_publish_finalize(GObject* object) {
  GstFacePublish* self = GST_FACEREC_PUBLISH(object);
  self->priv.destroy();
  G_OBJECT_CLASS(gst_facerec_publish_parent_class)->finalize(object);
}

static void install_string(GObjectClass* klass, guint id, const char* name, const char* blurb, const char* def,
                           GParamFlags flags) {
  g_object_class_install_property(klass, id, g_param_spec_string(name, name, blurb, def, flags));
}

static void gst_facerec_publish_class_init(GstFacePublishClass* klass) {
  GObjectClass* oc = G_OBJECT_CLASS(klass);
  GstElementClass* ec = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* tc = GST_BASE_TRANSFORM_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_facerec_publish_debug, "facepublish", 0, "Face events and results to MQTT");
  oc->set_property = gst_facerec_publish_set_property;
  oc->get_property = gst_facerec_publish_get_property;
  oc->finalize = gst_facerec_publish_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  install_string(oc, PROP_ADDRESS, "address",
                 "MQTT broker: host, host:port, [IPv6]:port, mqtt://host[:port] or mqtts://host[:port] (TLS; port "
                 "8883 by default)", kDefaultAddress, rw);
  install_string(oc, PROP_TOPIC, "topic",
                 "Topic of each message: %s the stream's source (`source`, else the last part of the upstream URI), "
                 "%p the person (\"unknown\" for unknown-face, \"_\" for results), %t the message type "
                 "(face-appeared, face-left, unknown-face, results), %% a '%'", kDefaultTopic, rw);
  g_object_class_install_property(oc, PROP_QOS, g_param_spec_int("qos", "QoS",
      "MQTT quality of service: 0 at most once (losses in a broken connection are not counted), 1 at least "
      "once, 2 exactly once", 0, 2, kDefaultQos, rw));
  install_string(oc, PROP_CLIENT_ID, "client-id", "MQTT client id; NULL: one is generated", nullptr, rw);
  install_string(oc, PROP_USERNAME, "username", "User name for the broker; NULL: anonymous", nullptr, rw);
  g_object_class_install_property(oc, PROP_PASSWORD, g_param_spec_string("password", "password",
      "Password for the broker (write-only: never read back, logged or shown)", nullptr,
      static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  install_string(oc, PROP_CA_FILE, "ca-file",
                 "PEM CA certificate(s) the broker's certificate must chain to; turns TLS on (mqtts:// without it: "
                 "the system CAs in /etc/ssl/certs)", nullptr, rw);
  install_string(oc, PROP_CERT_FILE, "cert-file", "PEM client certificate (with key-file); turns TLS on", nullptr, rw);
  install_string(oc, PROP_KEY_FILE, "key-file", "PEM private key of cert-file (unencrypted)", nullptr, rw);
  g_object_class_install_property(oc, PROP_TLS_INSECURE, g_param_spec_boolean("tls-insecure", "TLS insecure",
      "Do not verify the broker's certificate or host name (testing only)", FALSE, rw));
  g_object_class_install_property(oc, PROP_WHAT, g_param_spec_flags("what", "What",
      "What to publish: events (facerecognize's face-appeared, face-left, unknown-face) and/or results (the "
      "faceexport object of every frame), e.g. what=events+results", gst_facerec_publish_what_get_type(),
      kEvents, rw));
  install_string(oc, PROP_SOURCE, "source",
                 "The stream's name: \"source\" of every message and %s of the topic; NULL: the upstream URI", nullptr,
                 playing);
  g_object_class_install_property(oc, PROP_EMBEDDINGS, g_param_spec_boolean("embeddings", "Embeddings",
      "Add each face's embedding to the results (as faceexport embeddings=true)", FALSE, playing));
  g_object_class_install_property(oc, PROP_QUEUE_SIZE, g_param_spec_uint("queue-size", "Queue size",
      "Messages kept while the broker is unreachable; when full the oldest is dropped (counted in `dropped`, "
      "reported by a warning and \"facepublish-dropped\" messages)", 1, G_MAXINT, kDefaultQueueSize, rw));
  g_object_class_install_property(oc, PROP_FLUSH_TIMEOUT, g_param_spec_uint("flush-timeout", "Flush timeout",
      "At EOS, wait at most this many ms for the queued messages to be delivered", 0, G_MAXINT,
      kDefaultFlushTimeout, rw));
  g_object_class_install_property(oc, PROP_CONNECT_TIMEOUT, g_param_spec_uint("connect-timeout",
      "Connect timeout", "At start, wait at most this many ms for the broker's answer: a refusal (wrong "
      "password) fails the start; no answer: a warning, and the element keeps retrying", 0, G_MAXINT,
      kDefaultConnectTimeout, rw));
  g_object_class_install_property(oc, PROP_DROPPED, g_param_spec_uint64("dropped", "Dropped",
      "Messages lost in this run: dropped from the full queue, or still undelivered at stop", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(oc, PROP_DELIVERED, g_param_spec_uint64("delivered", "Delivered",
      "Messages acknowledged by the broker in this run (qos 0: handed to the connection)", 0, G_MAXUINT64, 0, ro));

  gstfacerec::add_filter_pad_templates(ec, "video/x-raw(ANY)");
  gst_element_class_set_static_metadata(ec, "Face events and results to MQTT", "Filter/Analyzer/Video",
      "Publishes facerecognize's events and/or per-frame face results to an MQTT broker; buffers pass "
      "through unchanged", GST_FACEREC_AUTHOR);
  tc->start = GST_DEBUG_FUNCPTR(gst_facerec_publish_start);
  tc->stop = GST_DEBUG_FUNCPTR(gst_facerec_publish_stop);
  tc->set_caps = GST_DEBUG_FUNCPTR(gst_facerec_publish_set_caps);
  tc->sink_event = GST_DEBUG_FUNCPTR(gst_facerec_publish_sink_event);
  tc->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_publish_transform_ip);
  tc->transform_ip_on_passthrough = TRUE;
}
