// gst-facerec: plugin entry point, registers the five elements.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "elements.h"
#include "facerec/models.h"

namespace gstfacerec {

void add_filter_pad_templates(GstElementClass* element_class, const char* caps_str) {
  GstCaps* caps = gst_caps_from_string(caps_str);
  gst_element_class_add_pad_template(element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
}

namespace {

// "video/x-raw, format=GRAY8, 320x240" style, short: for the negotiation error.
std::string describe_caps(const GstCaps* caps) {
  if (gst_caps_get_size(caps) == 0) return "empty caps";
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const GstCapsFeatures* f = gst_caps_get_features(caps, 0);
  std::string d = gst_structure_get_name(s);
  if (f && !gst_caps_features_is_equal(f, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY)) {
    gchar* fs = gst_caps_features_to_string(f);
    d += std::string("(") + fs + ")";
    g_free(fs);
  }
  if (const gchar* fmt = gst_structure_get_string(s, "format")) d += std::string(" format ") + fmt;
  return d;
}

// The formats of the first structure of the pad template, "{ RGBx, BGRx, ... }".
std::string template_formats(GstPad* pad) {
  GstCaps* t = gst_pad_get_pad_template_caps(pad);
  std::string out = "raw video";
  if (gst_caps_get_size(t) > 0) {
    const GValue* v = gst_structure_get_value(gst_caps_get_structure(t, 0), "format");
    if (v != nullptr && GST_VALUE_HOLDS_LIST(v)) {
      std::string list;
      for (guint i = 0; i < gst_value_list_get_size(v); ++i) {
        const GValue* f = gst_value_list_get_value(v, i);
        if (G_VALUE_HOLDS_STRING(f)) list += (list.empty() ? "" : ", ") + std::string(g_value_get_string(f));
      }
      out = "raw video (video/x-raw in system memory) of format " + list;
    }
  }
  gst_caps_unref(t);
  return out;
}

// The CAPS event upstream has decided on: when it is not something the element can
// take at all, say so and how to fix it before the core refuses the event (which
// otherwise ends as upstream's "not-negotiated" with no word about formats).
GstPadProbeReturn on_caps_event(GstPad* pad, GstPadProbeInfo* info, gpointer) {
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (ev == nullptr || GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(ev, &caps);
  GstCaps* tmpl = gst_pad_get_pad_template_caps(pad);
  const bool ok = caps == nullptr || gst_caps_can_intersect(caps, tmpl);
  gst_caps_unref(tmpl);
  if (ok) return GST_PAD_PROBE_OK;
  GstObject* parent = gst_pad_get_parent(pad);
  if (parent == nullptr || !GST_IS_ELEMENT(parent)) {
    if (parent) gst_object_unref(parent);
    return GST_PAD_PROBE_OK;
  }
  GstElement* el = GST_ELEMENT(parent);
  GstElementFactory* factory = gst_element_get_factory(el);
  const std::string name = factory ? GST_OBJECT_NAME(factory) : G_OBJECT_TYPE_NAME(el);
  GST_ELEMENT_ERROR(el, CORE, NEGOTIATION,
                    ("%s cannot take %s: it takes %s", name.c_str(), describe_caps(caps).c_str(),
                     template_formats(pad).c_str()),
                    ("put videoconvert before it (decoded video: ... ! decodebin ! videoconvert ! %s ! ...; "
                     "video in GPU memory: download it first)",
                     name.c_str()));
  gst_object_unref(parent);
  return GST_PAD_PROBE_OK;  // the core refuses it next (accept-caps)
}

}  // namespace

void explain_unsupported_caps(GstElement* element) {
  GstPad* sink = gst_element_get_static_pad(element, "sink");
  if (sink == nullptr) return;
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_caps_event, nullptr, nullptr);
  gst_object_unref(sink);
}

void post_facerec_error(GstElement* element, const char* what, const facerec::Error& e, FileKind kind,
                        const char* file, const char* func, int line) {
  const std::string& path = e.file();
  GQuark domain = GST_RESOURCE_ERROR;
  gint code;
  gchar* text;
  if (path.empty()) {
    code = GST_RESOURCE_ERROR_SETTINGS;
    text = g_strdup_printf("Could not set up the %s: %s", what, e.what());
  } else if (!g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) {
    code = GST_RESOURCE_ERROR_NOT_FOUND;
    text = g_strdup_printf("The %s file was not found: %s", what, e.what());
  } else {
    code = GST_RESOURCE_ERROR_OPEN_READ;
    text = g_strdup_printf("Could not load the %s: %s", what, e.what());
  }
  gchar* debug;
  if (kind == FileKind::TrainedModel)
    debug = g_strdup_printf("%s; a model is made by facerec-train (facerec-train DATASET -o MODEL): check the path, "
                            "or train one",
                            e.what());
  else if (path.empty())
    debug = g_strdup_printf("%s; set the property to a network file (a bare name is looked for in the current "
                            "directory, then in $FACEREC_MODEL_PATH and the model folders)",
                            e.what());
  else {  // the model step only for the files it downloads (facerec::network_file_fix)
    const std::string fix = facerec::network_file_fix(path);
    debug = std::string(e.what()).find(fix) != std::string::npos
                ? g_strdup(e.what())
                : g_strdup_printf("%s; %s", e.what(), fix.c_str());
  }
  // The message and debug strings are taken over by gst_element_message_full.
  gst_element_message_full(element, GST_MESSAGE_ERROR, domain, code, text, debug, file, func,
                           line);
}

}  // namespace gstfacerec

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = TRUE;
  ok &= gst_element_register(plugin, "facedetect-dnn", GST_RANK_NONE,
                             gst_facerec_detect_dnn_get_type());
  ok &= gst_element_register(plugin, "facerecognize", GST_RANK_NONE,
                             gst_facerec_recognize_get_type());
  // Not "faceoverlay": gst-plugins-bad already has an element of that name (SVG
  // face overlay) and the registry keeps only one feature per name.
  ok &= gst_element_register(plugin, GST_FACEREC_OVERLAY_ELEMENT, GST_RANK_NONE, gst_facerec_overlay_get_type());
  ok &= gst_element_register(plugin, "faceexport", GST_RANK_NONE, gst_facerec_export_get_type());
  ok &= gst_element_register(plugin, "facepublish", GST_RANK_NONE, gst_facerec_publish_get_type());
  return ok;
}

#ifndef PACKAGE
#define PACKAGE "gst-facerec"
#endif
#ifndef VERSION
#define VERSION "0.1.0"
#endif

// "MIT/X11" is how GStreamer spells the MIT licence (gst_plugin_desc: plain "MIT"
// is unknown to it and warns at load time).
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, facerec,
                  "Face detection and recognition with OpenCV DNN", plugin_init, VERSION, "MIT/X11",
                  PACKAGE, "gst-facerec")
