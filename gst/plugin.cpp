// gst-facerec: plugin entry point, registers the five elements.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "elements.h"

namespace gstfacerec {

void add_filter_pad_templates(GstElementClass* element_class, const char* caps_str) {
  GstCaps* caps = gst_caps_from_string(caps_str);
  gst_element_class_add_pad_template(element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
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
  gchar* debug =
      kind == FileKind::TrainedModel
          ? g_strdup_printf("%s; a model is made by facerec-train (facerec-train DATASET -o MODEL): "
                            "check the path, or train one",
                            e.what())
          : g_strdup_printf("%s; run the model step (models/fetch-models.sh, part of "
                            "scripts/setup.sh) or set $FACEREC_MODEL_PATH to the folder holding "
                            "the file, or set the property to a valid file",
                            e.what());
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
