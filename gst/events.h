// gst-facerec: the element messages facerecognize posts for lib/presence events
// ("face-appeared", "face-left", "unknown-face"); their fields are listed in the
// README (Events). One place, so that every element and application reads the
// same structures.
#pragma once

#include <gst/gst.h>

#include <vector>

#include "analyzer.h"
#include "facerec/frame_detector.h"
#include "facerec/presence.h"

namespace gstfacerec {

// A new structure (the caller owns it) for `ev`. Tracked faces (ev.track_id >= 0)
// get a "track-id" (guint64) field.
GstStructure* presence_message(const facerec::PresenceEvent& ev);

// facedetect-dnn's message, like gst-plugins-bad's facedetect:
//   facedetect-dnn, timestamp=(guint64), stream-time=(guint64), running-time=(guint64),
//       duration=(guint64), faces=(GstValueList){ face, x=(uint), y=(uint), width=(uint),
//                                                 height=(uint), confidence=(double); ... }
GstStructure* faces_message(const FrameTimes& t, GstClockTime duration, const std::vector<facerec::FrameFace>& faces);

}  // namespace gstfacerec
