// gst-facerec: the element messages facerecognize posts for lib/presence events
// ("face-appeared", "face-left", "unknown-face"); their fields are listed in the
// README (Events). One place, so that every element and application reads the
// same structures.
#pragma once

#include <gst/gst.h>

#include "facerec/presence.h"

namespace gstfacerec {

// A new structure (the caller owns it) for `ev`. Tracked faces (ev.track_id >= 0)
// get a "track-id" (guint64) field.
GstStructure* presence_message(const facerec::PresenceEvent& ev);

}  // namespace gstfacerec
