// gst-facerec: GstFaceRecAnalyzer, the abstract base of the two analysing elements
// (facedetect-dnn, facerecognize).
//
// It owns what both share: the sink/src pad templates with the formats the
// analysers read (GST_FACEREC_ANALYSIS_FORMATS, no conversion needed for the
// decoders' I420/NV12), in-place processing with a read-only frame map (pixels
// are never written, so shared memory is not copied; metas go on the writable
// buffer), model loading in start() through one error path, the
// `landmarks-model` property, and the timestamps of a buffer. A subclass fills
// in the class vfuncs and holds only what is its own.
#pragma once

#include <memory>
#include <mutex>
#include <new>
#include <string>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "elements.h"
#include "facerec/types.h"

namespace facerec {
class LandmarkNet;
}

namespace gstfacerec {

// The base's own C++ state (see load_landmarks below).
struct AnalyzerPrivate {
  std::mutex lock;      // the two below
  bool loaded = false;  // load_landmarks() succeeded and drop_landmarks() has not run
  std::shared_ptr<facerec::LandmarkNet> net;
};

}  // namespace gstfacerec

struct GstFaceRecAnalyzer {
  GstVideoFilter parent;
  gchar* landmarks_model;  // GST_OBJECT_LOCK; "" when unset
  gstfacerec::InstancePrivate<gstfacerec::AnalyzerPrivate> priv;
};

struct GstFaceRecAnalyzerClass {
  GstVideoFilterClass parent_class;
  // start(): build the streaming state and load the models. Return FALSE after
  // posting an error (use GST_FACEREC_LOAD_OR_POST).
  gboolean (*start_models)(GstFaceRecAnalyzer* self);
  // stop(): drop the streaming state.
  void (*stop_models)(GstFaceRecAnalyzer* self);
  // One frame, mapped read-only; write metas on frame->buffer.
  GstFlowReturn (*analyze)(GstFaceRecAnalyzer* self, GstVideoFrame* frame);
};

GType gst_facerec_analyzer_get_type(void);
#define GST_TYPE_FACEREC_ANALYZER (gst_facerec_analyzer_get_type())
#define GST_FACEREC_ANALYZER(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_ANALYZER, GstFaceRecAnalyzer))
#define GST_FACEREC_ANALYZER_GET_CLASS(obj) \
  (G_TYPE_INSTANCE_GET_CLASS((obj), GST_TYPE_FACEREC_ANALYZER, GstFaceRecAnalyzerClass))

namespace gstfacerec {

// The `landmarks-model` property ("" when unset), read under the object lock.
std::string landmarks_model(GstFaceRecAnalyzer* self);

// A landmark net of the element's own (facerecognize: for face ROIs without
// landmarks). load_landmarks() in start_models(): the named file must load (an
// error is posted, false returned); an unset property loads the default when it is
// on the model path, else none (a warning in the log). While loaded, a change of
// `landmarks-model` loads the new net on the setting thread and swaps it in; a
// failure posts the error and keeps the old one. drop_landmarks() in stop_models().
bool load_landmarks(GstFaceRecAnalyzer* self);
std::shared_ptr<facerec::LandmarkNet> landmarks(GstFaceRecAnalyzer* self);  // may be null
void drop_landmarks(GstFaceRecAnalyzer* self);

// Timestamps of a buffer in the element's current segment.
struct FrameTimes {
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstClockTime running = GST_CLOCK_TIME_NONE;  // NONE without a TIME segment
  GstClockTime stream = GST_CLOCK_TIME_NONE;
};
FrameTimes frame_times(GstBaseTransform* trans, GstBuffer* buf);

// A face detector announces itself downstream with a sticky custom event
// ("facerec-detector", field "element"), so that facerecognize can tell "no faces
// in the picture" from "no detector in the pipeline".
void announce_detector(GstBaseTransform* trans);
bool has_detector_upstream(GstPad* sinkpad);

}  // namespace gstfacerec
