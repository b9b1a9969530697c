// lib/sightings + lib/contact_sheet on synthetic input with exact expected answers:
// which tiles a stream gives (tracks named by majority, people merged, unknowns per
// track, order), which crop is kept, merging over videos, the files facerec-batch
// keeps them in, and where the tiles are drawn.
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "facerec/contact_sheet.h"
#include "facerec/sightings.h"
#include "facerec/types.h"

namespace fs = std::filesystem;
using facerec::Sighting;
using facerec::SightingCollector;

namespace {

// A 320x240 frame: grey, with a checkerboard of `square` px squares at box, optionally blurred.
cv::Mat frame_with_patch(const cv::Rect& box, bool blurred, int square = 4) {
  cv::Mat f(240, 320, CV_8UC3, cv::Scalar(90, 90, 90));
  for (int y = box.y; y < box.y + box.height; ++y)
    for (int x = box.x; x < box.x + box.width; ++x)
      f.at<cv::Vec3b>(y, x) = (((x - box.x) / square + (y - box.y) / square) % 2) ? cv::Vec3b(250, 250, 250)
                                                                                 : cv::Vec3b(10, 10, 10);
  if (blurred) cv::GaussianBlur(f, f, cv::Size(9, 9), 3.0);
  return f;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::string expect_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const facerec::Error& e) {
    return e.what();
  }
  fail("no facerec::Error thrown");
  return "";
}

}  // namespace

GST_START_TEST(test_tiles_of_a_stream) {
  SightingCollector c;
  const cv::Mat none;
  const cv::Rect box(100, 80, 60, 60);
  // track 1: unknown for its first 3 frames (before classification), then Ann for 10
  for (uint64_t f = 0; f < 13; ++f) c.add(f, 0.1 * double(f), 1, f < 3 ? "" : "Ann", box, true, none);
  // track 2: a stranger on frames 5..9
  for (uint64_t f = 5; f < 10; ++f) c.add(f, 0.1 * double(f), 2, "", box, true, none);
  // track 3: Ann again on frames 20..24, overlapping nothing; track 4: Ann on 22..26
  // (the same frames 22..24 twice: counted once)
  for (uint64_t f = 20; f < 25; ++f) c.add(f, 0.1 * double(f), 3, "Ann", box, true, none);
  for (uint64_t f = 22; f < 27; ++f) c.add(f, 0.1 * double(f), 4, "Ann", box, true, none);
  // track 5: Bob from frame 2 on (first seen before Ann's first named frame, after her track)
  for (uint64_t f = 2; f < 4; ++f) c.add(f, 0.1 * double(f), 5, "Bob", box, true, none);
  // track 6: 2 frames named Cy, 3 unknown: an unknown tile
  for (uint64_t f = 30; f < 35; ++f) c.add(f, 0.1 * double(f), 6, f < 32 ? "Cy" : "", box, true, none);
  // track 7: a tie (1 Dee, 1 unknown): the name wins
  c.add(40, 4.0, 7, "", box, true, none);
  c.add(41, 4.1, 7, "Dee", box, true, none);
  // untracked unknown faces (two on frame 50, one on 51): one tile, 2 frames
  c.add(50, 5.0, 0, "", box, true, none);
  c.add(50, 5.0, 0, "", cv::Rect(10, 10, 30, 30), true, none);
  c.add(51, 5.1, 0, "", box, true, none);

  const auto s = c.sightings();
  fail_unless_equals_int(int(s.size()), 6);
  // known by first time seen: Ann (track 1 from 0.0), Bob (0.2), Dee (4.0)
  fail_unless(s[0].name == "Ann" && s[1].name == "Bob" && s[2].name == "Dee", "%s %s %s", s[0].name.c_str(),
              s[1].name.c_str(), s[2].name.c_str());
  fail_unless_equals_int(int(s[0].frames), 13 + 7);  // 0..12 and 20..26
  fail_unless(s[0].first_s == 0.0 && std::abs(s[0].last_s - 2.6) < 1e-9);
  fail_unless_equals_int(int(s[1].frames), 2);
  fail_unless_equals_int(int(s[2].frames), 2);
  // then the unknowns by first seen: track 2 (0.5), track 6 (3.0), untracked (5.0)
  fail_unless(!s[3].known() && s[3].track == 2 && s[3].frames == 5);
  fail_unless(!s[4].known() && s[4].track == 6 && s[4].frames == 5);
  fail_unless(!s[5].known() && s[5].track == 0 && s[5].frames == 2);
  fail_unless(std::abs(s[5].first_s - 5.0) < 1e-9 && std::abs(s[5].last_s - 5.1) < 1e-9);
  for (const auto& x : s) fail_unless(x.crop.empty(), "no frame given: no crop");
}
GST_END_TEST;

GST_START_TEST(test_crop_choice) {
  const cv::Rect big(100, 60, 100, 100), small(20, 20, 40, 40);
  // sharp beats blurred at the same size, whatever the order
  for (bool sharp_first : {true, false}) {
    SightingCollector c;
    const cv::Mat sharp = frame_with_patch(big, false), blurred = frame_with_patch(big, true);
    c.add(0, 0.0, 1, "", big, true, sharp_first ? sharp : blurred);
    c.add(1, 0.1, 1, "", big, true, sharp_first ? blurred : sharp);
    const auto s = c.sightings();
    fail_unless_equals_int(int(s.size()), 1);
    fail_unless(same(s[0].crop, facerec::sighting_crop(sharp, big)), "the sharp crop is kept");
    fail_unless_equals_int(s[0].crop.rows, facerec::kSightingCrop);
    fail_unless_equals_int(s[0].crop.cols, facerec::kSightingCrop);
  }
  // a fine pattern on a 40 px box is sharper than a coarse one on a 100 px box (Laplacian
  // variance 2701 against 1841, measured), but scaled up into the tile it is not: the
  // size factor (40/96) makes the larger face win (1126 against 1841)
  {
    SightingCollector c;
    const cv::Mat a = frame_with_patch(small, false, 2), b = frame_with_patch(big, false, 30);
    c.add(0, 0.0, 1, "Ann", small, true, a);
    c.add(1, 0.1, 1, "Ann", big, true, b);
    fail_unless(same(c.sightings()[0].crop, facerec::sighting_crop(b, big)), "the larger face is kept");
  }
  // a carried (not fresh) box never gives the crop, however sharp
  {
    SightingCollector c;
    const cv::Mat sharp = frame_with_patch(big, false), blurred = frame_with_patch(big, true);
    c.add(0, 0.0, 1, "", big, true, blurred);
    c.add(1, 0.1, 1, "", big, false, sharp);
    fail_unless(same(c.sightings()[0].crop, facerec::sighting_crop(blurred, big)));
  }
  // the crop: centred on the box, 1.5x its longer side, grey outside the frame
  {
    const cv::Mat f = frame_with_patch(cv::Rect(0, 0, 1, 1), false);
    const cv::Mat crop = facerec::sighting_crop(f, cv::Rect(0, 0, 96, 96));  // 144 px square from (-24,-24)
    fail_unless(crop.at<cv::Vec3b>(5, 5) == cv::Vec3b(128, 128, 128), "outside the frame: grey");
    fail_unless(crop.at<cv::Vec3b>(100, 100) == cv::Vec3b(90, 90, 90), "inside: the frame");
  }
}
GST_END_TEST;

GST_START_TEST(test_merge_over_videos) {
  auto mk = [](const std::string& name, uint64_t track, double a, double b, uint64_t frames, double score) {
    Sighting s;
    s.name = name;
    s.track = track;
    s.first_s = a;
    s.last_s = b;
    s.frames = frames;
    s.crop = cv::Mat(facerec::kSightingCrop, facerec::kSightingCrop, CV_8UC3, cv::Scalar(score, 0, 0));
    s.crop_score = score;
    return s;
  };
  const auto m = facerec::merge_sightings({
      {"a.mp4", {mk("Ann", 1, 1.0, 5.0, 100, 10), mk("", 2, 0.5, 0.9, 10, 50)}},
      {"b.mp4", {mk("Bob", 1, 0.0, 1.0, 20, 5)}},
      {"c.mp4", {mk("Ann", 3, 2.0, 3.0, 30, 20), mk("", 1, 0.1, 0.2, 3, 1)}},
  });
  fail_unless_equals_int(int(m.size()), 4);
  fail_unless(m[0].name == "Ann" && m[0].frames == 130 && m[0].sources == 2);
  fail_unless(m[0].first_source == "a.mp4" && m[0].first_s == 1.0 && m[0].last_source == "c.mp4" &&
              m[0].last_s == 3.0);
  fail_unless(m[0].crop_score == 20 && m[0].crop.at<cv::Vec3b>(0, 0)[0] == 20, "the best crop of all videos");
  fail_unless(m[1].name == "Bob" && m[1].sources == 1 && m[1].first_source == "b.mp4");
  fail_unless(!m[2].known() && m[2].track == 2 && m[2].first_source == "a.mp4" && m[2].frames == 10);
  fail_unless(!m[3].known() && m[3].track == 1 && m[3].first_source == "c.mp4" && m[3].frames == 3);
  // the tile text of each kind
  auto l = facerec::sighting_lines(m[0]);
  fail_unless(l.size() == 4 && l[0] == "Ann" && l[1] == "first 0:01.0 in a.mp4" && l[2] == "last 0:03.0 in c.mp4" &&
                  l[3] == "130 frames, 2 videos",
              "%s | %s | %s", l[1].c_str(), l[2].c_str(), l[3].c_str());
  l = facerec::sighting_lines(m[2]);
  fail_unless(l.size() == 4 && l[0] == "unknown #2" && l[1] == "a.mp4" && l[2] == "0:00.5 - 0:00.9" &&
              l[3] == "10 frames");
  Sighting one = mk("", 0, 61.25, 3725, 1, 1);
  l = facerec::sighting_lines(one);
  fail_unless(l.size() == 3 && l[0] == "unknown" && l[1] == "1:01.3 - 1:02:05" && l[2] == "1 frame", "%s",
              l[1].c_str());
}
GST_END_TEST;

GST_START_TEST(test_save_and_load) {
  testutil::TempDir tmp;
  std::vector<Sighting> in(3);
  in[0].name = "Ann \\ tab\there\nnewline Jos\xc3\xa9";
  in[0].first_s = 0.1;
  in[0].last_s = 1.0 / 3.0;
  in[0].frames = 7;
  in[0].crop_score = 123.456;
  in[0].crop = cv::Mat(facerec::kSightingCrop, facerec::kSightingCrop, CV_8UC3);
  cv::randu(in[0].crop, 0, 255);
  in[1].track = 42;  // no crop
  in[1].frames = 1;
  in[2].track = 43;
  in[2].frames = 2;
  in[2].crop = cv::Mat(facerec::kSightingCrop, facerec::kSightingCrop, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::string prefix = tmp / "v.mp4.sightings";
  facerec::save_sightings(prefix, in);
  const auto out = facerec::load_sightings(prefix);
  fail_unless_equals_int(int(out.size()), 3);
  for (size_t i = 0; i < 3; ++i) {
    fail_unless(out[i].name == in[i].name && out[i].track == in[i].track && out[i].frames == in[i].frames &&
                    out[i].first_s == in[i].first_s && out[i].last_s == in[i].last_s &&
                    out[i].crop_score == in[i].crop_score,
                "sighting %zu differs", i);
    fail_unless(in[i].crop.empty() ? out[i].crop.empty() : same(in[i].crop, out[i].crop), "crop %zu", i);
  }
  // damaged files: an error naming the file, never a crash or a wrong sheet
  auto write = [](const std::string& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; };
  const std::string tsv = prefix + ".tsv", good = [&] {
    std::ifstream f(tsv);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }();
  for (const std::string& bad :
       {std::string("not a sightings file\n"), good.substr(0, good.size() / 2) + "\n",
        good + "x\t1\t0\t1\t5\t1\t2\n", good + "x\t1\tnan\t1\t5\t1\t0\n", good + "x\t-1\t0\t1\t5\t1\t0\n",
        good + "x\t1\t2\t1\t5\t1\t0\n", good + "x\t1\t0\t1\t5\t1\t1\n" /* a crop the PNG lacks */}) {
    write(tsv, bad);
    const std::string msg = expect_error([&] { facerec::load_sightings(prefix); });
    fail_unless(testutil::contains(msg, prefix), "%s", msg.c_str());
  }
  write(tsv, good);
  write(prefix + ".png", "garbage");
  fail_unless(testutil::contains(expect_error([&] { facerec::load_sightings(prefix); }), prefix + ".png"));
  fs::remove(tsv);
  fail_unless(testutil::contains(expect_error([&] { facerec::load_sightings(prefix); }), tsv));
  // no sighting: a TSV without crops and no PNG
  facerec::save_sightings(tmp / "empty", {});
  fail_unless(facerec::load_sightings(tmp / "empty").empty() && !fs::exists(tmp / "empty.png"));
}
GST_END_TEST;

GST_START_TEST(test_layout_and_render) {
  for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(6), size_t(7), size_t(13)}) {
    const auto l = facerec::contact_sheet_layout(n);
    fail_unless_equals_int(l.columns, n <= 3 ? 3 : n >= 6 ? 6 : int(n));
    fail_unless_equals_int(int(l.crops.size()), int(n));
    for (size_t i = 0; i < n; ++i) {
      fail_unless(l.crops[i].size() == cv::Size(facerec::kSightingCrop, facerec::kSightingCrop));
      fail_unless((l.crops[i] & l.tiles[i]) == l.crops[i], "crop inside its tile");
      fail_unless((l.tiles[i] & cv::Rect(cv::Point(), l.size)) == l.tiles[i], "tile inside the sheet");
      for (size_t k = 0; k < i; ++k) fail_unless((l.tiles[i] & l.tiles[k]).empty(), "tiles %zu, %zu overlap", i, k);
    }
    std::set<int> rows;
    for (const auto& t : l.tiles) rows.insert(t.y);
    fail_unless_equals_int(int(rows.size()), int((n + size_t(l.columns) - 1) / size_t(l.columns)));
  }
  // each tile's crop is drawn, unchanged, where the layout says
  std::vector<Sighting> s(7);
  for (size_t i = 0; i < s.size(); ++i) {
    s[i].name = i < 4 ? "P" + std::to_string(i) : "";
    s[i].track = i;
    s[i].frames = 1;
    s[i].crop = cv::Mat(facerec::kSightingCrop, facerec::kSightingCrop, CV_8UC3, cv::Scalar(double(i * 30), 100, 7));
  }
  const cv::Mat sheet = facerec::render_contact_sheet(s, "title \xe6\x97\xa5 with UTF-8");
  const auto l = facerec::contact_sheet_layout(s.size());
  fail_unless(sheet.size() == l.size && sheet.type() == CV_8UC3);
  for (size_t i = 0; i < s.size(); ++i) fail_unless(same(sheet(l.crops[i]), s[i].crop), "tile %zu's crop", i);
  // written as PNG: the same pixels
  testutil::TempDir tmp;
  facerec::write_contact_sheet(tmp / "sheet.png", s, "t");
  const cv::Mat back = cv::imread(tmp / "sheet.png", cv::IMREAD_COLOR);
  fail_unless(back.size() == l.size && same(back(l.crops[6]), s[6].crop));
  // a folder that does not exist: an error naming the file
  fail_unless(testutil::contains(expect_error([&] { facerec::write_contact_sheet(tmp / "no/such.png", s, "t"); }),
                                 tmp / "no/such.png"));
}
GST_END_TEST;

static Suite* contact_sheet_suite() {
  Suite* s = suite_create("contact_sheet");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_tiles_of_a_stream);
  tcase_add_test(tc, test_crop_choice);
  tcase_add_test(tc, test_merge_over_videos);
  tcase_add_test(tc, test_save_and_load);
  tcase_add_test(tc, test_layout_and_render);
  return s;
}

GST_CHECK_MAIN(contact_sheet);
