// Paths as users write them, and messages that name the right fix.
//
//  cwd_first            a bare name that is a file in the current directory is used before
//                       the search path (lib: resolve_model/find_model and a detector; element:
//                       facedetect-dnn model=mydet.onnx finds the face); a junk file of the
//                       same name in the cwd shadows a good one on the search path
//  not_found_lists      a name found nowhere: the message lists every path tried (./NAME and
//                       each search dir), in the lib and in the element's error; a file the
//                       model step does not make never points at models/fetch-models.sh, one
//                       it makes does
//  trained_model_fix    no message about a trained model (missing, empty, truncated, a network
//                       given as the model, swapped in while playing, given as a detector)
//                       points at models/fetch-models.sh; each names facerec-train
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gst/check/gstharness.h>

#include "gsttest.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/models.h"

namespace fs = std::filesystem;
using testutil::contains;
using testutil::TempDir;

namespace {

// Runs the test body with the current directory set to `dir`, restoring it after.
struct InDir {
  std::string old;
  explicit InDir(const std::string& dir) {
    old = fs::current_path().string();
    fail_unless(::chdir(dir.c_str()) == 0, "cannot chdir to %s", dir.c_str());
  }
  ~InDir() { (void)::chdir(old.c_str()); }
};

std::string error_of(const std::string& name) {
  try {
    facerec::resolve_model(name);
  } catch (const facerec::Error& e) {
    return e.what();
  }
  fail("resolve_model(%s) did not throw", name.c_str());
  return {};
}

// The text (message | debug) of the first ERROR or WARNING of `type` on the bus.
std::string pop_text(GstBus* bus, GstMessageType type, GstClockTime timeout = 10 * GST_SECOND) {
  GstMessage* m = gst_bus_timed_pop_filtered(bus, timeout, type);
  if (m == nullptr) return "";
  GError* err = nullptr;
  gchar* dbg = nullptr;
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error(m, &err, &dbg);
  else
    gst_message_parse_warning(m, &err, &dbg);
  std::string t = std::string(err->message) + " | " + (dbg ? dbg : "");
  g_error_free(err);
  g_free(dbg);
  gst_message_unref(m);
  return t;
}

// The text of the start error of `desc` (state change to PAUSED fails).
std::string start_error(const std::string& desc) { return testutil::start_error_text(desc); }

void copy_file(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

}  // namespace

GST_START_TEST(test_cwd_first) {
  TempDir tmp;
  const std::string good = facerec::resolve_model(facerec::defaults::kDetector);
  copy_file(good, tmp / "mydet.onnx");
  InDir in(tmp.path.string());
  // lib
  fail_unless(facerec::find_model("mydet.onnx") == "mydet.onnx");
  fail_unless(facerec::resolve_model("mydet.onnx") == "mydet.onnx");
  const cv::Mat img = testutil::load_image("images/227943776_1.jpg");
  {
    facerec::DetectorConfig c;
    c.model = "mydet.onnx";
    const auto det = facerec::create_detector(c);
    fail_unless(!det->detect(img).empty(), "no face with the detector from the current directory");
  }
  // element: facedetect-dnn model=mydet.onnx finds the face
  {
    GstHarness* h = gst_harness_new_parse("facedetect-dnn model=mydet.onnx");
    gst_harness_set_src_caps_str(h, testutil::caps_string(GST_VIDEO_FORMAT_BGR, img.cols, img.rows).c_str());
    GstBuffer* in_buf = testutil::bgr_buffer(img);
    GST_BUFFER_PTS(in_buf) = 0;
    fail_unless_equals_int(gst_harness_push(h, in_buf), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    fail_unless(out != nullptr);
    fail_unless(!testutil::face_rois(out).empty(), "facedetect-dnn model=mydet.onnx found no face");
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
  // The current directory comes before the search path: a junk file of a name that is
  // also on the search path shadows it (and is the file reported).
  const std::string name = "shadowed_" + std::to_string(::getpid()) + ".onnx";
  TempDir path_dir;
  copy_file(good, path_dir / name);
  std::string env = path_dir.path.string();
  if (const char* old = g_getenv(facerec::kModelPathEnv)) env += std::string(":") + old;
  const std::string saved = g_getenv(facerec::kModelPathEnv) ? g_getenv(facerec::kModelPathEnv) : "";
  g_setenv(facerec::kModelPathEnv, env.c_str(), TRUE);
  const std::string on_path = path_dir / name;
  fail_unless(facerec::resolve_model(name) == on_path, "%s", facerec::resolve_model(name).c_str());
  std::ofstream(name) << "not a network";
  fail_unless(facerec::resolve_model(name) == name, "%s", facerec::resolve_model(name).c_str());
  facerec::DetectorConfig c;
  c.model = name;
  try {
    facerec::create_detector(c);
    fail("a junk file in the current directory was not used");
  } catch (const facerec::Error& e) {
    fail_unless(e.file() == name, "%s", e.what());
  }
  g_setenv(facerec::kModelPathEnv, saved.c_str(), TRUE);
}
GST_END_TEST;

GST_START_TEST(test_not_found_lists) {
  TempDir tmp;
  InDir in(tmp.path.string());
  const std::string unknown = "no_such_model_file.onnx";
  const std::string m = error_of(unknown);
  g_print("  %s\n", m.c_str());
  fail_unless(contains(m, "./" + unknown), "%s", m.c_str());
  for (const auto& d : facerec::model_search_dirs()) fail_unless(contains(m, d + "/" + unknown), "%s", m.c_str());
  fail_unless(contains(m, facerec::kModelPathEnv), "%s", m.c_str());
  fail_if(contains(m, "fetch-models"), "points at the model step for a file it does not make: %s", m.c_str());
  // A file of the manifest (the model step downloads it): the message says so.
  const std::string known = "res10_300x300_ssd_iter_140000.caffemodel";
  if (facerec::find_model(known).empty()) {
    const std::string k = error_of(known);
    fail_unless(contains(k, "fetch-models.sh") && contains(k, "./" + known), "%s", k.c_str());
  }
  // Missing explicit path of a file the model step does not make.
  {
    facerec::DetectorConfig c;
    c.model = tmp / "mydet.onnx";
    try {
      facerec::create_detector(c);
      fail("no error");
    } catch (const facerec::Error& e) {
      fail_if(contains(e.what(), "fetch-models"), "%s", e.what());
    }
  }
  // The element's error lists the paths too, and its debug text does not send the
  // user to the model step.
  const std::string t = start_error("videotestsrc num-buffers=1 ! facedetect-dnn model=" + unknown + " ! fakesink");
  fail_unless(contains(t, "./" + unknown), "%s", t.c_str());
  for (const auto& d : facerec::model_search_dirs()) fail_unless(contains(t, d + "/" + unknown), "%s", t.c_str());
  fail_if(contains(t, "fetch-models"), "%s", t.c_str());
  const std::string e = start_error("videotestsrc num-buffers=1 ! facedetect-dnn ! facerecognize embedder=" +
                                    tmp / "myemb.onnx" + " ! fakesink");
  fail_unless(contains(e, tmp / "myemb.onnx"), "%s", e.c_str());
  fail_if(contains(e, "fetch-models"), "%s", e.c_str());
}
GST_END_TEST;

GST_START_TEST(test_trained_model_fix) {
  TempDir tmp;
  // A small real model (two synthetic people) and damaged copies of it.
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  for (int i = 0; i < 6; ++i) {
    facerec::Embedding e(128, 0.f);
    e[size_t(i % 2)] = 1.f;
    e[size_t(10 + i)] = 0.05f;
    samples.push_back(e);
    ids.push_back(i % 2);
  }
  const std::string emb_id = facerec::create_embedder(facerec::defaults::kEmbedder)->spec().id;
  const std::string model = tmp / "people.model";
  facerec::Classifier::train(samples, ids, {"Ann", "Bob"}, emb_id).save(model);
  std::ifstream src(model);
  const std::string json((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
  std::ofstream(tmp / "empty.model");
  std::ofstream(tmp / "truncated.model") << json.substr(0, json.size() / 2);
  fs::create_directories(tmp / "alone");
  std::ofstream(tmp / "alone/nosvm.model") << json;  // its .svm is missing
  const std::string network = facerec::resolve_model(facerec::defaults::kDetector);
  const std::vector<std::string> bad = {tmp / "missing.model", tmp / "empty.model", tmp / "truncated.model",
                                        tmp / "alone/nosvm.model", network};
  const std::string pre = "videotestsrc num-buffers=1 ! facedetect-dnn ! facerecognize model=";
  for (const auto& b : bad) {
    const std::string t = start_error(pre + b + " ! fakesink");
    fail_unless(contains(t, b) && contains(t, "facerec-train"), "%s", t.c_str());
    fail_if(contains(t, "fetch-models"), "a trained model's error points at the model step: %s", t.c_str());
  }
  // Swapped in while playing: the warning names facerec-train, not the model step.
  {
    GError* err = nullptr;
    GstElement* pipe = gst_parse_launch(
        ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! facedetect-dnn ! facerecognize name=r "
         "model=" + model + " ! fakesink").c_str(), &err);
    fail_unless(pipe != nullptr);
    GstBus* bus = gst_element_get_bus(pipe);
    fail_unless(gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int(gst_element_get_state(pipe, nullptr, nullptr, 30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
    GstElement* r = gst_bin_get_by_name(GST_BIN(pipe), "r");
    for (const auto& b : bad) {
      g_object_set(r, "model", b.c_str(), nullptr);
      const std::string t = pop_text(bus, GST_MESSAGE_WARNING);
      g_print("  model=%s while playing\n    -> %s\n", b.c_str(), t.c_str());
      fail_unless(contains(t, b) && contains(t, "facerec-train"), "%s", t.c_str());
      fail_if(contains(t, "fetch-models"), "%s", t.c_str());
    }
    gst_object_unref(r);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipe);
  }
  // A trained model given where a network belongs: the message says what it is.
  facerec::DetectorConfig c;
  c.model = model;
  try {
    facerec::create_detector(c);
    fail("a trained model loaded as a detector");
  } catch (const facerec::Error& e) {
    g_print("  detector model=people.model\n    -> %s\n", e.what());
    fail_unless(contains(e.what(), "facerec-train") && !contains(e.what(), "fetch-models"), "%s", e.what());
  }
}
GST_END_TEST;

static Suite* paths_suite(void) {
  Suite* s = suite_create("paths");
  TCase* tc = tcase_create("paths");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_cwd_first);
  tcase_add_test(tc, test_not_found_lists);
  tcase_add_test(tc, test_trained_model_fix);
  return s;
}

GST_CHECK_MAIN(paths);
