#include "facerec/presence.h"

namespace facerec {

const char* reason_name(PresenceEvent::Reason r) {
  switch (r) {
    case PresenceEvent::Reason::Timeout: return "timeout";
    case PresenceEvent::Reason::Eos: return "eos";
    case PresenceEvent::Reason::Flush: return "flush";
    case PresenceEvent::Reason::None: break;
  }
  return "";
}

PresenceEvent Presence::left_event(const Key& key, const Entry& e, PresenceEvent::Reason r) {
  PresenceEvent ev;
  ev.type = PresenceEvent::Type::Left;
  ev.reason = r;
  ev.track_id = key.first;
  ev.label = key.second;
  ev.label_id = e.label_id;
  ev.first_seen = e.first;
  ev.last_seen = e.last;
  ev.frames = e.frames;
  return ev;
}

std::vector<PresenceEvent> Presence::update(std::uint64_t now, const EventTimes& times,
                                            const std::vector<FaceObservation>& faces,
                                            const PresenceSettings& settings) {
  std::vector<PresenceEvent> events;
  // the best face per key; the largest unknown candidate
  std::map<Key, const FaceObservation*> seen;
  const FaceObservation* unknown = nullptr;
  unsigned n_unknown = 0;
  for (const FaceObservation& f : faces) {
    const std::int64_t track = f.track_id < 0 ? -1 : f.track_id;
    if (track >= 0) tracks_[track].last_now = now;
    if (f.known) {
      const FaceObservation*& best = seen[Key(track, f.label)];
      if (!best || f.score > best->score) best = &f;
    } else {
      ++n_unknown;
      const bool candidate = track < 0 || !tracks_[track].reported;
      if (candidate && (!unknown || f.box.area() > unknown->box.area())) unknown = &f;
    }
  }

  for (const auto& [key, f] : seen) {
    auto it = present_.find(key);
    if (it == present_.end()) {
      Entry e;
      e.first = times;
      it = present_.emplace(key, e).first;
      PresenceEvent ev;
      ev.type = PresenceEvent::Type::Appeared;
      ev.track_id = key.first;
      ev.label = key.second;
      ev.label_id = f->label_id;
      ev.score = f->score;
      ev.distance = f->distance;
      ev.box = f->box;
      ev.roi_id = f->roi_id;
      ev.times = times;
      events.push_back(std::move(ev));
    }
    Entry& e = it->second;
    e.label_id = f->label_id;
    e.last = times;
    e.last_now = now;
    ++e.frames;
  }

  for (auto it = present_.begin(); it != present_.end();) {
    if (seen.count(it->first) == 0 && expired(now, it->second.last_now, settings.leave_timeout_ns)) {
      events.push_back(left_event(it->first, it->second, PresenceEvent::Reason::Timeout));
      it = present_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (expired(now, it->second.last_now, settings.leave_timeout_ns))
      it = tracks_.erase(it);
    else
      ++it;
  }

  if (unknown == nullptr) return events;
  const bool due = !have_unknown_ || now < last_unknown_ ||
                   now - last_unknown_ >= settings.unknown_interval_ns;
  if (!due) return events;
  have_unknown_ = true;
  last_unknown_ = now;
  if (unknown->track_id >= 0) tracks_[unknown->track_id].reported = true;
  PresenceEvent ev;
  ev.type = PresenceEvent::Type::Unknown;
  ev.track_id = unknown->track_id < 0 ? -1 : unknown->track_id;
  ev.score = unknown->score;
  ev.distance = unknown->distance;
  ev.box = unknown->box;
  ev.roi_id = unknown->roi_id;
  ev.times = times;
  ev.unknown_faces = n_unknown;
  events.push_back(std::move(ev));
  return events;
}

std::vector<PresenceEvent> Presence::flush(PresenceEvent::Reason reason) {
  std::vector<PresenceEvent> events;
  for (const auto& [key, e] : present_) events.push_back(left_event(key, e, reason));
  present_.clear();
  tracks_.clear();
  have_unknown_ = false;
  last_unknown_ = 0;
  return events;
}

}  // namespace facerec
