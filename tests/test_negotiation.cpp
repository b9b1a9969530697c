// Formats the elements cannot take are named, with the fix.
//
//  instance_names       instances are named like their elements (faceexport0, facedetectdnn0,
//                       facerecognize0, facerecoverlay0, facepublish0), not facerecexport0
//  unsupported_format   a stream that switches to GRAY8 / GRAY16_LE (or to H.264, or to caps that are
//                       not in system memory) into facedetect-dnn, facerecognize and
//                       facerec-overlay: the first ERROR on the bus comes from the element,
//                       names what it got and the formats it takes, and says videoconvert
//                       (before: only appsrc's "Internal data stream error ... not-negotiated")
//  supported_formats    every format of the templates still negotiates and flows without an
//                       error (the check refuses nothing the element takes)
#include <string>
#include <vector>

#include <gst/video/video.h>

#include "gsttest.h"

using testutil::contains;

namespace {

struct BusError {
  std::string source, message, debug;
};

// appsrc caps=FIRST ! ELEMENT ! fakesink: one BGR frame, then the caps switch to
// `second` and one more buffer. Returns the first ERROR (empty source when none).
BusError run_switch(const std::string& element, const std::string& first, const std::string& second,
                    size_t second_size) {
  const std::string desc = "appsrc name=src format=time caps=\"" + first + "\" ! " + element + " ! fakesink";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipe != nullptr, "%s: %s", desc.c_str(), err ? err->message : "?");
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstBus* bus = gst_element_get_bus(pipe);
  fail_unless(gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstFlowReturn ret;
  GstBuffer* b1 = gst_buffer_new_and_alloc(64 * 48 * 4);
  gst_buffer_memset(b1, 0, 0x80, 64 * 48 * 4);
  GST_BUFFER_PTS(b1) = 0;
  g_signal_emit_by_name(src, "push-buffer", b1, &ret);
  gst_buffer_unref(b1);
  GstCaps* caps = gst_caps_from_string(second.c_str());
  g_object_set(src, "caps", caps, nullptr);
  gst_caps_unref(caps);
  GstBuffer* b2 = gst_buffer_new_and_alloc(second_size);
  gst_buffer_memset(b2, 0, 0x80, second_size);
  GST_BUFFER_PTS(b2) = 40 * GST_MSECOND;
  g_signal_emit_by_name(src, "push-buffer", b2, &ret);
  gst_buffer_unref(b2);
  g_signal_emit_by_name(src, "end-of-stream", &ret);
  BusError e;
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  if (m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* ge = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(m, &ge, &dbg);
    e.source = GST_OBJECT_NAME(GST_MESSAGE_SRC(m));
    e.message = ge->message;
    e.debug = dbg ? dbg : "";
    g_error_free(ge);
    g_free(dbg);
  }
  if (m) gst_message_unref(m);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(src);
  gst_object_unref(pipe);
  return e;
}

const char* kBgr = "video/x-raw,format=BGR,width=64,height=48,framerate=25/1";

}  // namespace

GST_START_TEST(test_instance_names) {
  const std::vector<std::pair<const char*, const char*>> names = {
      {"faceexport", "faceexport"},         {"facedetect-dnn", "facedetectdnn"},
      {"facerecognize", "facerecognize"},   {"facerec-overlay", "facerecoverlay"},
      {"facepublish", "facepublish"},
  };
  for (const auto& [factory, prefix] : names) {
    GstElement* e = gst_element_factory_make(factory, nullptr);
    fail_unless(e != nullptr, "no element %s", factory);
    const std::string n = GST_OBJECT_NAME(e);
    g_print("  %s -> %s\n", factory, n.c_str());
    fail_unless(n.rfind(prefix, 0) == 0 && n.size() > strlen(prefix) && g_ascii_isdigit(n[strlen(prefix)]),
                "%s instance named %s", factory, n.c_str());
    gst_object_unref(e);
  }
}
GST_END_TEST;

GST_START_TEST(test_unsupported_format) {
  struct Case {
    const char* element;   // as in a pipeline
    const char* factory;   // in the message
    const char* instance;  // prefix of the message's source
    std::string caps;
    size_t size;
    const char* got;
  };
  const std::string gray = "video/x-raw,format=GRAY8,width=64,height=48,framerate=25/1";
  const std::string gray16 = "video/x-raw,format=GRAY16_LE,width=64,height=48,framerate=25/1";
  const Case cases[] = {
      {"facerec-overlay", "facerec-overlay", "facerecoverlay", gray, 64 * 48, "format GRAY8"},
      {"facedetect-dnn", "facedetect-dnn", "facedetectdnn", gray16, 64 * 48 * 2, "format GRAY16_LE"},
      {"facerecognize", "facerecognize", "facerecognize", gray16, 64 * 48 * 2, "format GRAY16_LE"},
      {"facedetect-dnn", "facedetect-dnn", "facedetectdnn", "video/x-h264,stream-format=byte-stream,alignment=au", 100,
       "video/x-h264"},
      {"facerec-overlay", "facerec-overlay", "facerecoverlay",
       "video/x-raw(memory:GLMemory),format=RGBA,width=64,height=48,framerate=25/1", 64 * 48 * 4, "memory:GLMemory"},
  };
  for (const auto& c : cases) {
    const BusError e = run_switch(c.element, kBgr, c.caps, c.size);
    g_print("  %s <- %s\n    -> %s: %s\n       %s\n", c.element, c.caps.c_str(), e.source.c_str(), e.message.c_str(),
            e.debug.c_str());
    fail_unless(e.source.rfind(c.instance, 0) == 0, "%s: the first error comes from %s: %s", c.element,
                e.source.c_str(), e.message.c_str());
    fail_unless(contains(e.message, c.factory) && contains(e.message, c.got) && contains(e.message, "BGRx") &&
                    contains(e.message, "video/x-raw"),
                "%s", e.message.c_str());
    fail_unless(contains(e.debug, "videoconvert"), "%s", e.debug.c_str());
  }
  testutil::tried("a format an element cannot take, switched to mid-stream (GRAY8, GRAY16_LE, H.264, GLMemory)",
                  std::size(cases), "an error from that element naming the format, the formats it takes, videoconvert");
}
GST_END_TEST;

GST_START_TEST(test_supported_formats) {
  for (const char* element : {"facerec-overlay", "facedetect-dnn", "facerecognize"}) {
    GstElement* e = gst_element_factory_make(element, nullptr);
    GstPad* sink = gst_element_get_static_pad(e, "sink");
    GstCaps* tmpl = gst_pad_get_pad_template_caps(sink);
    const GValue* formats = gst_structure_get_value(gst_caps_get_structure(tmpl, 0), "format");
    fail_unless(formats != nullptr && GST_VALUE_HOLDS_LIST(formats));
    int n = 0;
    for (guint i = 0; i < gst_value_list_get_size(formats); ++i) {
      const char* f = g_value_get_string(gst_value_list_get_value(formats, i));
      GstVideoInfo info;
      gst_video_info_set_format(&info, gst_video_format_from_string(f), 64, 48);
      const std::string caps = std::string("video/x-raw,format=") + f + ",width=64,height=48,framerate=25/1";
      const BusError r = run_switch(element, kBgr, caps, info.size);
      fail_unless(r.source.empty(), "%s with %s: error from %s: %s", element, f, r.source.c_str(), r.message.c_str());
      ++n;
    }
    g_print("  %s: %d formats negotiate\n", element, n);
    gst_caps_unref(tmpl);
    gst_object_unref(sink);
    gst_object_unref(e);
  }
}
GST_END_TEST;

static Suite* negotiation_suite(void) {
  Suite* s = suite_create("negotiation");
  TCase* tc = tcase_create("negotiation");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_instance_names);
  tcase_add_test(tc, test_unsupported_format);
  tcase_add_test(tc, test_supported_formats);
  return s;
}

GST_CHECK_MAIN(negotiation);
