// gst-facerec: presence events as element messages (see events.h).
#include "events.h"

namespace gstfacerec {

namespace {

void set_box(GstStructure* s, const cv::Rect& box) {
  GValue v = G_VALUE_INIT;
  gst_value_array_init(&v, 4);
  for (int x : {box.x, box.y, box.width, box.height}) {
    GValue iv = G_VALUE_INIT;
    g_value_init(&iv, G_TYPE_INT);
    g_value_set_int(&iv, x);
    gst_value_array_append_and_take_value(&v, &iv);
  }
  gst_structure_take_value(s, "box", &v);
}

}  // namespace

GstStructure* presence_message(const facerec::PresenceEvent& ev) {
  using Type = facerec::PresenceEvent::Type;
  GstStructure* s = nullptr;
  switch (ev.type) {
    case Type::Appeared:
      s = gst_structure_new("face-appeared", "label", G_TYPE_STRING, ev.label.c_str(), "label-id", G_TYPE_INT,
                            ev.label_id, "score", G_TYPE_DOUBLE, static_cast<double>(ev.score), "distance",
                            G_TYPE_DOUBLE, static_cast<double>(ev.distance), "timestamp", G_TYPE_UINT64, ev.times.pts,
                            "running-time", G_TYPE_UINT64, ev.times.running, "stream-time", G_TYPE_UINT64,
                            ev.times.stream, "roi-id", G_TYPE_INT, ev.roi_id, nullptr);
      set_box(s, ev.box);
      break;
    case Type::Left:
      s = gst_structure_new("face-left", "label", G_TYPE_STRING, ev.label.c_str(), "label-id", G_TYPE_INT, ev.label_id,
                            "first-seen", G_TYPE_UINT64, ev.first_seen.pts, "last-seen", G_TYPE_UINT64,
                            ev.last_seen.pts, "first-seen-stream-time", G_TYPE_UINT64, ev.first_seen.stream,
                            "last-seen-stream-time", G_TYPE_UINT64, ev.last_seen.stream, "frames", G_TYPE_UINT64,
                            static_cast<guint64>(ev.frames), "reason", G_TYPE_STRING, facerec::reason_name(ev.reason),
                            nullptr);
      break;
    case Type::Unknown:
      s = gst_structure_new("unknown-face", "distance", G_TYPE_DOUBLE, static_cast<double>(ev.distance), "score",
                            G_TYPE_DOUBLE, static_cast<double>(ev.score), "timestamp", G_TYPE_UINT64, ev.times.pts,
                            "running-time", G_TYPE_UINT64, ev.times.running, "stream-time", G_TYPE_UINT64,
                            ev.times.stream, "roi-id", G_TYPE_INT, ev.roi_id, "unknown-faces", G_TYPE_UINT,
                            ev.unknown_faces, nullptr);
      set_box(s, ev.box);
      break;
  }
  if (ev.track_id >= 0) gst_structure_set(s, "track-id", G_TYPE_UINT64, static_cast<guint64>(ev.track_id), nullptr);
  return s;
}

GstStructure* faces_message(const FrameTimes& t, GstClockTime duration, const std::vector<facerec::FrameFace>& faces) {
  GstStructure* s = gst_structure_new("facedetect-dnn", "timestamp", G_TYPE_UINT64, static_cast<guint64>(t.pts),
                                      "stream-time", G_TYPE_UINT64, static_cast<guint64>(t.stream), "running-time",
                                      G_TYPE_UINT64, static_cast<guint64>(t.running), "duration", G_TYPE_UINT64,
                                      static_cast<guint64>(duration), nullptr);
  GValue list = G_VALUE_INIT;
  g_value_init(&list, GST_TYPE_LIST);
  for (const facerec::FrameFace& f : faces) {
    GstStructure* fs = gst_structure_new("face", "x", G_TYPE_UINT, static_cast<guint>(f.box.x), "y", G_TYPE_UINT,
                                         static_cast<guint>(f.box.y), "width", G_TYPE_UINT,
                                         static_cast<guint>(f.box.width), "height", G_TYPE_UINT,
                                         static_cast<guint>(f.box.height), "confidence", G_TYPE_DOUBLE, f.confidence,
                                         nullptr);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure(&v, fs);
    gst_structure_free(fs);
    gst_value_list_append_and_take_value(&list, &v);
  }
  gst_structure_take_value(s, "faces", &list);
  return s;
}

}  // namespace gstfacerec
