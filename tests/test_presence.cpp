// Presence (lib/presence.cpp): synthetic faces driven through time, exact
// events expected (the way gst-plugins-bad's ioutracker tests drive boxes).
// No models, no pipeline.
#include <string>
#include <vector>

#include "facerec/presence.h"  // before common.h: gstcheck's fail() macro breaks <ios>

#include "common.h"

using facerec::FaceObservation;
using facerec::Presence;
using facerec::PresenceEvent;
using facerec::PresenceSettings;

namespace {

constexpr std::uint64_t kMs = 1000000;  // ns

FaceObservation named(const std::string& label, int label_id, float score, int roi_id = 0,
                      int track_id = -1, cv::Rect box = cv::Rect(10, 10, 50, 50)) {
  FaceObservation f;
  f.track_id = track_id;
  f.known = true;
  f.label = label;
  f.label_id = label_id;
  f.score = score;
  f.distance = 1.f - score;
  f.box = box;
  f.roi_id = roi_id;
  return f;
}

FaceObservation unknown(int roi_id, cv::Rect box, int track_id = -1) {
  FaceObservation f;
  f.track_id = track_id;
  f.score = 0.25f;
  f.distance = 0.9f;
  f.box = box;
  f.roi_id = roi_id;
  return f;
}

std::string ms(std::uint64_t t) { return t == facerec::kNoTime ? "none" : std::to_string(t / kMs); }

// One line per event: what the element's message would carry.
std::string describe(const PresenceEvent& e) {
  const std::string track = e.track_id >= 0 ? "#" + std::to_string(e.track_id) : "";
  switch (e.type) {
    case PresenceEvent::Type::Appeared:
      return "appeared " + e.label + track + " id=" + std::to_string(e.label_id) +
             " roi=" + std::to_string(e.roi_id) + " score=" + std::to_string(int(e.score * 100)) +
             " pts=" + ms(e.times.pts) + " stream=" + ms(e.times.stream);
    case PresenceEvent::Type::Left:
      return "left " + e.label + track + " " + facerec::reason_name(e.reason) +
             " id=" + std::to_string(e.label_id) + " first=" + ms(e.first_seen.pts) +
             " last=" + ms(e.last_seen.pts) + " last-stream=" + ms(e.last_seen.stream) +
             " frames=" + std::to_string(e.frames);
    case PresenceEvent::Type::Unknown:
      return "unknown" + track + " roi=" + std::to_string(e.roi_id) +
             " n=" + std::to_string(e.unknown_faces) + " pts=" + ms(e.times.pts);
  }
  return "?";
}

// Drives a Presence; the frame at `now` ms has pts = running = now and
// stream = now + 5 s (so that the opaque times are seen to be copied, not made).
struct Driver {
  Presence presence;
  PresenceSettings settings;
  std::vector<std::string> frame(std::uint64_t now_ms, const std::vector<FaceObservation>& faces) {
    facerec::EventTimes t;
    t.pts = t.running = now_ms * kMs;
    t.stream = (now_ms + 5000) * kMs;
    return lines(presence.update(now_ms * kMs, t, faces, settings));
  }
  std::vector<std::string> flush(PresenceEvent::Reason r) { return lines(presence.flush(r)); }
  static std::vector<std::string> lines(const std::vector<PresenceEvent>& evs) {
    std::vector<std::string> v;
    for (const auto& e : evs) v.push_back(describe(e));
    return v;
  }
};

void expect(const std::vector<std::string>& got, const std::vector<std::string>& want,
            const char* where) {
  std::string g, w;
  for (const auto& s : got) g += "  " + s + "\n";
  for (const auto& s : want) w += "  " + s + "\n";
  fail_unless(got == want, "%s: got\n%swant\n%s", where, g.c_str(), w.c_str());
}

}  // namespace

// Appear, stay, leave after exactly the timeout (not one frame early), come back.
GST_START_TEST(test_appear_leave_return) {
  Driver d;
  d.settings.leave_timeout_ns = 500 * kMs;
  // Two faces named alice in the first frame: the best one (roi 2) is the event's.
  expect(d.frame(0, {named("alice", 3, 0.6f, 1), named("alice", 3, 0.9f, 2)}),
         {"appeared alice id=3 roi=2 score=90 pts=0 stream=5000"}, "appear");
  for (std::uint64_t t = 40; t <= 360; t += 40) expect(d.frame(t, {named("alice", 3, 0.8f)}), {}, "stay");
  for (std::uint64_t t = 400; t <= 840; t += 40) expect(d.frame(t, {}), {}, "unseen < timeout");
  expect(d.frame(860, {}), {}, "unseen exactly the timeout");
  expect(d.frame(861, {}),
         {"left alice timeout id=3 first=0 last=360 last-stream=5360 frames=10"}, "left");
  fail_unless_equals_int(d.presence.present(), 0);
  expect(d.frame(900, {}), {}, "gone");
  expect(d.frame(940, {named("alice", 3, 0.7f, 5)}),
         {"appeared alice id=3 roi=5 score=70 pts=940 stream=5940"}, "back");
  // The timeout is read on every frame: shortened while she is away.
  expect(d.frame(1000, {}), {}, "away 60 ms");
  d.settings.leave_timeout_ns = 50 * kMs;
  expect(d.frame(1001, {}),
         {"left alice timeout id=3 first=940 last=940 last-stream=5940 frames=1"}, "new timeout");
}
GST_END_TEST;

// Two people: events in name order, each leaves on their own; the label id of
// the last frame is reported.
GST_START_TEST(test_two_people) {
  Driver d;
  d.settings.leave_timeout_ns = 200 * kMs;
  expect(d.frame(0, {named("bob", 1, 0.8f, 7), named("alice", 0, 0.9f, 8)}),
         {"appeared alice id=0 roi=8 score=90 pts=0 stream=5000",
          "appeared bob id=1 roi=7 score=80 pts=0 stream=5000"},
         "both appear");
  expect(d.frame(100, {named("bob", 4, 0.8f)}), {}, "bob only");
  expect(d.frame(200, {named("bob", 4, 0.8f)}), {}, "alice unseen 200 ms");
  expect(d.frame(300, {named("bob", 4, 0.8f), named("carol", 2, 0.5f, 9)}),
         {"appeared carol id=2 roi=9 score=50 pts=300 stream=5300",
          "left alice timeout id=0 first=0 last=0 last-stream=5000 frames=1"},
         "carol appears, alice leaves");
  expect(d.frame(600, {}),
         {"left bob timeout id=4 first=0 last=300 last-stream=5300 frames=4",
          "left carol timeout id=2 first=300 last=300 last-stream=5300 frames=1"},
         "both leave, name order");
}
GST_END_TEST;

// Unknown faces without tracking: a rate, the largest face of the frame.
GST_START_TEST(test_unknown_rate) {
  Driver d;
  d.settings.unknown_interval_ns = 1000 * kMs;
  expect(d.frame(0, {unknown(1, {0, 0, 20, 20}), unknown(2, {50, 0, 30, 30}), named("alice", 0, 0.9f, 3)}),
         {"appeared alice id=0 roi=3 score=90 pts=0 stream=5000", "unknown roi=2 n=2 pts=0"},
         "first unknown");
  expect(d.frame(40, {unknown(1, {0, 0, 40, 40})}), {}, "rate-limited");
  expect(d.frame(999, {unknown(1, {0, 0, 40, 40})}), {}, "999 ms later");
  expect(d.frame(1000, {unknown(4, {0, 0, 40, 40}), unknown(5, {0, 0, 40, 40})}),
         {"unknown roi=4 n=2 pts=1000"}, "exactly the interval; first of equal boxes");
  // A seek back without flush: the limit is not held against the earlier time.
  expect(d.frame(500, {unknown(6, {0, 0, 40, 40})}), {"unknown roi=6 n=1 pts=500"}, "time went back");
  expect(d.frame(540, {unknown(6, {0, 0, 40, 40})}), {}, "limited again");
  d.settings.unknown_interval_ns = 0;
  expect(d.frame(541, {unknown(7, {0, 0, 40, 40})}), {"unknown roi=7 n=1 pts=541"}, "interval 0");
  expect(d.frame(541, {unknown(8, {0, 0, 40, 40})}), {"unknown roi=8 n=1 pts=541"}, "every frame");
}
GST_END_TEST;

// Time going backwards (a seek without flush) never makes anyone leave; they
// leave once the clock is again past their last frame + the timeout.
GST_START_TEST(test_time_backwards) {
  Driver d;
  d.settings.leave_timeout_ns = 100 * kMs;
  expect(d.frame(5000, {named("alice", 0, 0.9f)}),
         {"appeared alice id=0 roi=0 score=90 pts=5000 stream=10000"}, "appear");
  expect(d.frame(0, {}), {}, "seek back to 0");
  expect(d.frame(200, {}), {}, "still before her last frame");
  expect(d.frame(5100, {}), {}, "timeout not exceeded");
  expect(d.frame(5101, {}),
         {"left alice timeout id=0 first=5000 last=5000 last-stream=10000 frames=1"}, "left");
}
GST_END_TEST;

// EOS / flush: everyone present leaves with that reason; the unknown rate limit
// and the presences start over.
GST_START_TEST(test_flush) {
  Driver d;
  d.settings.unknown_interval_ns = 1000 * kMs;
  expect(d.frame(0, {named("bob", 1, 0.8f), unknown(4, {0, 0, 9, 9})}),
         {"appeared bob id=1 roi=0 score=80 pts=0 stream=5000", "unknown roi=4 n=1 pts=0"}, "start");
  expect(d.frame(40, {named("alice", 0, 0.9f), named("bob", 1, 0.8f)}),
         {"appeared alice id=0 roi=0 score=90 pts=40 stream=5040"}, "alice");
  expect(d.flush(PresenceEvent::Reason::Eos),
         {"left alice eos id=0 first=40 last=40 last-stream=5040 frames=1",
          "left bob eos id=1 first=0 last=40 last-stream=5040 frames=2"},
         "eos");
  fail_unless_equals_int(d.presence.present(), 0);
  expect(d.flush(PresenceEvent::Reason::Flush), {}, "nobody left to flush");
  expect(d.frame(80, {named("bob", 1, 0.8f), unknown(5, {0, 0, 9, 9})}),
         {"appeared bob id=1 roi=0 score=80 pts=80 stream=5080", "unknown roi=5 n=1 pts=80"},
         "after eos: bob appears again, the unknown limit starts over");
  expect(d.flush(PresenceEvent::Reason::Flush),
         {"left bob flush id=1 first=80 last=80 last-stream=5080 frames=1"}, "flush");
  fail_unless_equals_string(facerec::reason_name(PresenceEvent::Reason::Timeout), "timeout");
  fail_unless_equals_string(facerec::reason_name(PresenceEvent::Reason::Eos), "eos");
  fail_unless_equals_string(facerec::reason_name(PresenceEvent::Reason::Flush), "flush");
}
GST_END_TEST;

// With track ids: one presence per track (two people with one name are two),
// one Unknown per unknown track, still rate-limited.
GST_START_TEST(test_tracked) {
  Driver d;
  d.settings.leave_timeout_ns = 500 * kMs;
  d.settings.unknown_interval_ns = 1000 * kMs;
  const cv::Rect small(0, 0, 20, 20), big(100, 0, 40, 40);
  // Two strangers at once: the larger is reported now, the other once the limit allows.
  expect(d.frame(0, {unknown(1, small, 1), unknown(2, big, 2)}), {"unknown#2 roi=2 n=2 pts=0"},
         "two strangers");
  for (std::uint64_t t = 40; t < 1000; t += 40)
    expect(d.frame(t, {unknown(1, small, 1), unknown(2, big, 2)}), {}, "rate-limited");
  expect(d.frame(1000, {unknown(1, small, 1), unknown(2, big, 2)}), {"unknown#1 roi=1 n=2 pts=1000"},
         "second stranger");
  for (std::uint64_t t = 1040; t <= 3000; t += 40)
    expect(d.frame(t, {unknown(1, small, 1), unknown(2, big, 2)}), {}, "each stranger once");
  expect(d.frame(3040, {unknown(1, small, 1), unknown(2, big, 2), unknown(3, small, 3)}),
         {"unknown#3 roi=3 n=3 pts=3040"}, "a third stranger");
  // Two tracks named alice: two presences; each leaves on its own.
  expect(d.frame(3080, {named("alice", 0, 0.9f, 4, 4), named("alice", 0, 0.7f, 5, 5)}),
         {"appeared alice#4 id=0 roi=4 score=90 pts=3080 stream=8080",
          "appeared alice#5 id=0 roi=5 score=70 pts=3080 stream=8080"},
         "two alices");
  expect(d.frame(3580, {named("alice", 0, 0.7f, 5, 5)}), {}, "track 4 unseen 500 ms");
  // Track 5 is renamed bob: bob appears now, alice#5 leaves after the timeout.
  expect(d.frame(3620, {named("bob", 1, 0.8f, 5, 5)}),
         {"appeared bob#5 id=1 roi=5 score=80 pts=3620 stream=8620",
          "left alice#4 timeout id=0 first=3080 last=3080 last-stream=8080 frames=1"},
         "renamed; track 4 left");
  expect(d.frame(4081, {named("bob", 1, 0.8f, 5, 5)}),
         {"left alice#5 timeout id=0 first=3080 last=3580 last-stream=8580 frames=2"}, "old name left");
  // Strangers 1-3 were last seen at 3040: forgotten after the timeout, so a
  // track id seen again later is a new stranger.
  const FaceObservation bob = named("bob", 1, 0.8f, 5, 5);
  expect(d.frame(4500, {bob}), {}, "bob stays");
  expect(d.frame(5000, {bob, unknown(1, small, 1)}), {"unknown#1 roi=1 n=1 pts=5000"},
         "forgotten track");
  // Tracked and untracked faces mixed: the untracked unknown is always a candidate.
  expect(d.frame(6000, {bob, unknown(1, big, 1), unknown(9, small)}), {"unknown roi=9 n=2 pts=6000"},
         "untracked unknown");
  expect(d.flush(PresenceEvent::Reason::Eos),
         {"left bob#5 eos id=1 first=3620 last=6000 last-stream=11000 frames=5"}, "eos");
  // After the flush the tracks start over: track 1 is reported again.
  expect(d.frame(6040, {unknown(1, big, 1)}), {"unknown#1 roi=1 n=1 pts=6040"}, "after flush");
}
GST_END_TEST;

static Suite* presence_suite(void) {
  Suite* s = suite_create("presence");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_appear_leave_return);
  tcase_add_test(tc, test_two_people);
  tcase_add_test(tc, test_unknown_rate);
  tcase_add_test(tc, test_time_backwards);
  tcase_add_test(tc, test_flush);
  tcase_add_test(tc, test_tracked);
  return s;
}

GST_CHECK_MAIN(presence);
