// gst-facerec: the plugin's element types and helpers shared by the elements.
#pragma once

#include <new>
#include <string>

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/gstvideofilter.h>

#include "facerec/types.h"

GType gst_facerec_detect_dnn_get_type(void);
GType gst_facerec_recognize_get_type(void);
GType gst_facerec_overlay_get_type(void);
GType gst_facerec_export_get_type(void);
GType gst_facerec_publish_get_type(void);
GType gst_facerec_publish_what_get_type(void);  // facepublish "what" flags
GType gst_facerec_detect_dnn_model_type_get_type(void);
GType gst_facerec_detect_dnn_updates_get_type(void);  // facedetect-dnn "updates" enum

// Author line of every element (gst-inspect "Author").
#define GST_FACEREC_AUTHOR "The gst-facerec developers"

// Element name of the overlay (gst-plugins-bad owns "faceoverlay").
#define GST_FACEREC_OVERLAY_ELEMENT "facerec-overlay"

namespace gstfacerec {

// What kind of file failed: it decides the fix an error message names.
enum class FileKind {
  Network,       // a network file: the model step (models/fetch-models.sh) or $FACEREC_MODEL_PATH
  TrainedModel,  // a model written by facerec-train: train one, or give the right file
};

// Posts a facerec::Error as GST_ELEMENT_ERROR (RESOURCE domain): NOT_FOUND when
// the file named by the error does not exist, OPEN_READ when it exists but could
// not be used, SETTINGS when no file is involved. `what` says which property /
// role the file had ("detector model", ...).
void post_facerec_error(GstElement* element, const char* what, const facerec::Error& e, FileKind kind,
                        const char* file, const char* func, int line);

}  // namespace gstfacerec

namespace gstfacerec {
// C++ private data inside a GObject instance: constructed in instance_init,
// destroyed in finalize (GObject allocates the instance memory).
template <typename T>
class InstancePrivate {
 public:
  void construct() { ptr_ = new (storage_) T(); }
  void destroy() {
    ptr_->~T();
    ptr_ = nullptr;
  }
  T* operator->() const { return ptr_; }
  T& operator*() const { return *ptr_; }

 private:
  T* ptr_ = nullptr;
  alignas(T) unsigned char storage_[sizeof(T)];
};

// Adds always "sink" and "src" pad templates with the same caps (a filter element).
void add_filter_pad_templates(GstElementClass* element_class, const char* caps);
// Posts a CORE/NEGOTIATION error naming the formats the element takes when a CAPS
// event its "sink" pad template cannot take arrives (called from instance init).
// Links refused at construction time (gst-launch's "could not link X to Y") never
// reach the element: README "Elements" lists the formats.
void explain_unsupported_caps(GstElement* element);
}  // namespace gstfacerec

#define GST_FACEREC_POST_ERROR(el, what, err, kind) \
  gstfacerec::post_facerec_error(GST_ELEMENT(el), what, err, kind, __FILE__, GST_FUNCTION, __LINE__)

namespace gstfacerec {
// Runs load() (a model load in start()); a facerec::Error is posted as it is, any
// other exception as an error naming `file`. Returns false when something was posted.
template <typename Fn>
bool load_or_post(GstElement* element, const char* what, const std::string& file, Fn&& load,
                  const char* src, const char* func, int line) {
  try {
    load();
    return true;
  } catch (const facerec::Error& e) {
    post_facerec_error(element, what, e, FileKind::Network, src, func, line);
  } catch (const std::exception& e) {
    post_facerec_error(element, what, facerec::Error(file, e.what()), FileKind::Network, src, func, line);
  }
  return false;
}
}  // namespace gstfacerec

#define GST_FACEREC_LOAD_OR_POST(el, what, file, load) \
  gstfacerec::load_or_post(GST_ELEMENT(el), what, file, load, __FILE__, GST_FUNCTION, __LINE__)

// facerec-overlay: where the label goes (property "label-position").
typedef enum {
  GST_FACEREC_LABEL_POSITION_ABOVE = 0,
  GST_FACEREC_LABEL_POSITION_BELOW = 1,
  GST_FACEREC_LABEL_POSITION_INSIDE = 2,
} GstFaceRecLabelPosition;
GType gst_facerec_label_position_get_type(void);
#define GST_FACEREC_TYPE_LABEL_POSITION (gst_facerec_label_position_get_type())

// 8-bit YUV formats facerec-overlay draws on, besides GST_FACEREC_PACKED_RGB_FORMATS.
#define GST_FACEREC_OVERLAY_YUV_FORMATS "I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY"
