// Parity of models/convert_faceapi.py's output with the reference conversion of
// face-api's 128-d recogniser, on real LFW face chips, in OpenCV's DNN module;
// and the converter's handling of broken inputs.
//
// Models: the converted faceapi_recognition_128d.onnx is looked up in
// $FACEREC_MODEL_PATH (set by meson to models/data); the reference is
// reference_models()/faceapi_face_recognition_128d.onnx. The face-api weights for
// the re-conversion come from fetch-models.sh's cache ($FACEREC_MODEL_CACHE, default
// models/cache). Under CI a missing file fails the suite; elsewhere the suite (or the
// re-conversion test) is skipped with the reason (testutil::require).

// Standard and OpenCV headers first: gstcheck.h defines macros (fail, ...) that
// clash with <iostream> member names.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/filesystem.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/models.h"

namespace {

constexpr const char* kConverted = "faceapi_recognition_128d.onnx";
constexpr const char* kReference = "faceapi_face_recognition_128d.onnx";
constexpr int kMinChips = 8;
constexpr int kMaxChips = 12;

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

std::string converted_model() {
  const char* env = std::getenv("FACEREC_MODEL_PATH");
  std::string list = env ? env : "";
  std::stringstream ss(list);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + kConverted;
    if (is_file(p)) return p;
  }
  std::string p = testutil::source_root() + "/models/data/" + kConverted;
  return is_file(p) ? p : "";
}

std::string reference_model() {
  std::string p = testutil::reference_models() + "/" + kReference;
  return is_file(p) ? p : "";
}

// One real chip per identity: the first image of the first kMaxChips identities
// (sorted), centre crop of the 250x250 deep-funneled image, resized to 150x150.
std::vector<cv::Mat> make_chips(std::vector<std::string>* names) {
  std::vector<cv::String> dirs;
  std::string root = testutil::testdata("faces");
  std::vector<cv::String> all;
  cv::utils::fs::glob(root, "*.jpg", all, /*recursive=*/true);
  std::sort(all.begin(), all.end());
  std::vector<cv::Mat> chips;
  std::string last_dir;
  for (const auto& f : all) {
    std::string s = f;
    std::string dir = s.substr(0, s.find_last_of('/'));
    if (dir == last_dir) continue;
    cv::Mat img = cv::imread(s, cv::IMREAD_COLOR);
    if (img.empty() || img.cols < 195 || img.rows < 195) continue;
    last_dir = dir;
    cv::Mat chip;
    cv::resize(img(cv::Rect(55, 55, 140, 140)), chip, cv::Size(150, 150), 0, 0, cv::INTER_LINEAR);
    chips.push_back(chip);
    if (names) names->push_back(s.substr(s.find_last_of('/') + 1));
    if ((int)chips.size() >= kMaxChips) break;
  }
  return chips;
}

cv::Mat blob_for(const std::vector<cv::Mat>& chips) {
  return cv::dnn::blobFromImages(chips, 1.0 / 256, cv::Size(150, 150),
                                 cv::Scalar(122.782, 117.001, 104.298), /*swapRB=*/true,
                                 /*crop=*/false);
}

cv::Mat run(cv::dnn::Net& net, const cv::Mat& blob) {
  net.setInput(blob, "input");
  cv::Mat out = net.forward();
  return out.reshape(1, out.size[0]).clone();  // [N,128]
}

// In double precision, so that 1 - cosine is meaningful down to ~1e-15.
double cosine(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat da, db;
  a.convertTo(da, CV_64F);
  b.convertTo(db, CV_64F);
  return da.dot(db) / (cv::norm(da) * cv::norm(db));
}

struct CmdResult {
  int rc = -1;
  std::string output;
};

CmdResult run_cmd(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int st = ::pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  return r;
}

std::string converter() { return testutil::source_root() + "/models/convert_faceapi.py"; }

std::string make_tmpdir() {
  char tmpl[] = "/tmp/facerec-conv-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

// Where fetch-models.sh unpacks face-api's tfjs files (it does whenever it converts).
std::string faceapi_cache_dir() {
  const char* env = std::getenv("FACEREC_MODEL_CACHE");
  const std::string cache = env && *env ? env : testutil::source_root() + "/models/cache";
  return cache + "/extract/vladmandic-face-api-1.7.15/package/model";
}

// The real tfjs files, if fetch-models.sh left them in the cache.
std::string cached_faceapi_dir() {
  const std::string d = faceapi_cache_dir();
  return is_file(d + "/face_recognition_model.bin") &&
                 is_file(d + "/face_recognition_model-weights_manifest.json")
             ? d
             : "";
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}


// ---- fr_feature_128d.onnx: the SVD fold of fr_feature.onnx's last layer ----

std::string fr_converter() { return testutil::source_root() + "/models/convert_fr_feature_128.py"; }

// The weights W (512x512, rows = output channels) of fr_feature.onnx's last layer: the
// 1x1 convolution that feeds the final Reshape ('666' in the ONNX file), as OpenCV
// imported it. Read from a net that has not run (forward() may fuse layers).
cv::Mat last_conv_weights(const std::string& path) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
  const std::vector<cv::String> names = net.getLayerNames();
  for (size_t i = names.size(); i-- > 0;) {
    cv::Ptr<cv::dnn::Layer> l = net.getLayer(net.getLayerId(names[i]));
    if (l->type != "Convolution") continue;
    // The last convolution: it must be the 512->512 1x1 one.
    if (l->blobs.empty() || l->blobs[0].dims != 4 || l->blobs[0].size[0] != 512 || l->blobs[0].size[1] != 512 ||
        l->blobs[0].size[2] != 1 || l->blobs[0].size[3] != 1)
      return cv::Mat();
    cv::Mat w;
    l->blobs[0].reshape(1, 512).convertTo(w, CV_64F);
    return w;
  }
  return cv::Mat();
}

// U128 (512x128, double): the top-128 left singular vectors of W, each with the sign
// convert_fr_feature_128.py gives it (its entry of largest magnitude positive, the
// first one on a tie). Computed here with OpenCV's SVD, independently of the
// converter's numpy/LAPACK: the singular values around the 128th are 4.6e-4 apart, so
// the vectors are well determined.
cv::Mat top128_basis(const cv::Mat& w) {
  cv::Mat sv, u, vt;
  cv::SVD::compute(w, sv, u, vt, cv::SVD::FULL_UV);
  cv::Mat u128 = u.colRange(0, 128).clone();
  for (int k = 0; k < 128; ++k) {
    int best = 0;
    for (int i = 1; i < 512; ++i)
      if (std::fabs(u128.at<double>(i, k)) > std::fabs(u128.at<double>(best, k))) best = i;
    if (u128.at<double>(best, k) < 0) u128.col(k) *= -1.0;
  }
  return u128;
}

// Raw (not normalised) outputs of an embedder of the manifest for chips it aligned.
cv::Mat raw_embeddings(const std::string& id, const std::string& file, const std::vector<cv::Mat>& chips) {
  facerec::EmbedderSpec spec = facerec::embedder_spec_for(id);
  spec.file = file;
  spec.l2_normalize = false;
  spec.flip_average = false;
  auto emb = facerec::create_embedder(spec);
  const auto out = emb->embed(chips);
  cv::Mat m(int(out.size()), spec.dim, CV_64F);
  for (size_t i = 0; i < out.size(); ++i)
    for (int k = 0; k < spec.dim; ++k) m.at<double>(int(i), k) = out[i][size_t(k)];
  return m;
}

// Real LFW faces, detected and aligned onto the ArcFace template (one per person).
std::vector<cv::Mat> arcface_chips(int count) {
  auto det = facerec::create_detector({});
  const facerec::EmbedderSpec spec = facerec::embedder_spec_for("faceplugin-feature-512");
  std::vector<cv::Mat> chips;
  for (const auto& person : testutil::pick_identities(count, 2)) {
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + person));
    if (imgs.empty()) continue;
    const cv::Mat img = cv::imread(imgs[0]);
    const auto faces = det->detect(img);
    if (faces.empty()) continue;
    chips.push_back(facerec::align_face(img, faces[0], spec.chip));
  }
  return chips;
}

}  // namespace

GST_START_TEST(test_parity_batch1_and_batched)
{
  std::string conv_path = converted_model(), ref_path = reference_model();
  fail_unless(!conv_path.empty() && !ref_path.empty());
  cv::dnn::Net conv = cv::dnn::readNetFromONNX(conv_path);
  cv::dnn::Net ref = cv::dnn::readNetFromONNX(ref_path);
  fail_if(conv.empty(), "cannot load %s", conv_path.c_str());
  fail_if(ref.empty(), "cannot load %s", ref_path.c_str());

  std::vector<std::string> names;
  std::vector<cv::Mat> chips = make_chips(&names);
  fail_unless((int)chips.size() >= kMinChips, "only %zu face chips from %s", chips.size(),
              testutil::testdata("faces").c_str());
  const int n = (int)chips.size();

  // Batch 1, chip by chip.
  cv::Mat conv1(n, 128, CV_32F), ref1(n, 128, CV_32F);
  for (int i = 0; i < n; ++i) {
    cv::Mat b = blob_for({chips[i]});
    cv::Mat c = run(conv, b), r = run(ref, b);
    fail_unless(c.rows == 1 && c.cols == 128, "converted output is %dx%d", c.rows, c.cols);
    fail_unless(r.rows == 1 && r.cols == 128, "reference output is %dx%d", r.rows, r.cols);
    c.copyTo(conv1.row(i));
    r.copyTo(ref1.row(i));
  }
  // One batch of n (the reference graph has a fixed batch of 1: compare against ref1).
  cv::Mat convN = run(conv, blob_for(chips));
  fail_unless(convN.rows == n && convN.cols == 128, "batched output is %dx%d", convN.rows,
              convN.cols);

  double min_cos1 = 1, min_cosN = 1, max_abs1 = 0, max_absN = 0, max_self = 0;
  double min_norm = 1e9, max_norm = 0;
  for (int i = 0; i < n; ++i) {
    double c1 = cosine(conv1.row(i), ref1.row(i));
    double cN = cosine(convN.row(i), ref1.row(i));
    double a1 = cv::norm(conv1.row(i), ref1.row(i), cv::NORM_INF);
    double aN = cv::norm(convN.row(i), ref1.row(i), cv::NORM_INF);
    double self = cv::norm(convN.row(i), conv1.row(i), cv::NORM_INF);
    double nrm = cv::norm(conv1.row(i));
    std::printf("  chip %2d %-28s |d|=%.4f cos(batch1)=1-%.3g cos(batch%d)=1-%.3g maxabs=%.3g/%.3g\n",
                i, names[i].c_str(), nrm, 1 - c1, n, 1 - cN, a1, aN);
    fail_unless(std::isfinite(c1) && c1 >= 0.9999, "chip %s: cosine %.8f at batch 1", names[i].c_str(), c1);
    fail_unless(std::isfinite(cN) && cN >= 0.9999, "chip %s: cosine %.8f at batch %d", names[i].c_str(), cN, n);
    min_cos1 = std::min(min_cos1, c1);
    min_cosN = std::min(min_cosN, cN);
    max_abs1 = std::max(max_abs1, a1);
    max_absN = std::max(max_absN, aN);
    max_self = std::max(max_self, self);
    min_norm = std::min(min_norm, nrm);
    max_norm = std::max(max_norm, nrm);
  }
  std::printf("converter parity: %d real chips; converted vs reference: batch 1 min cosine 1-%.3g, "
              "max abs diff %.3g; batch %d min cosine 1-%.3g, max abs diff %.3g; converted batch %d "
              "vs batch 1 max abs diff %.3g; |d| %.3f..%.3f\n",
              n, 1 - min_cos1, max_abs1, n, 1 - min_cosN, max_absN, n, max_self, min_norm, max_norm);
  // Not normalised, dlib-like scale.
  fail_unless(min_norm > 0.5 && max_norm < 3.0, "unexpected descriptor norms %.3f..%.3f", min_norm,
              max_norm);
  fail_unless(max_abs1 < 1e-3 && max_absN < 1e-3, "max abs diff %.3g / %.3g", max_abs1, max_absN);

  // Distinct people must not collapse onto one vector.
  double min_dist = 1e9;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) min_dist = std::min(min_dist, cv::norm(conv1.row(i), conv1.row(j)));
  std::printf("min L2 distance between different identities: %.3f\n", min_dist);
  fail_unless(min_dist > 0.1, "different identities collapse: min distance %.3f", min_dist);
}
GST_END_TEST;

GST_START_TEST(test_converter_rejects_truncated_weights)
{
  std::string tmp = make_tmpdir();
  fail_if(tmp.empty());
  std::string manifest, bin = tmp + "/face_recognition_model.bin";
  std::string cache = cached_faceapi_dir();
  if (!cache.empty()) {
    // A real manifest with the real shard cut in half.
    manifest = cache + "/face_recognition_model-weights_manifest.json";
    std::ifstream in(cache + "/face_recognition_model.bin", std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fail_unless(data.size() == 6444032u, "cached weights have %zu bytes", data.size());
    write_file(bin, data.substr(0, data.size() / 2));
  } else {
    // A small manifest of the same form (one uint8-quantised tensor of 32768 bytes).
    manifest = tmp + "/face_recognition_model-weights_manifest.json";
    write_file(manifest,
               "[{\"paths\":[\"face_recognition_model.bin\"],\"weights\":[{\"name\":\"fc\","
               "\"shape\":[256,128],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\","
               "\"scale\":0.001,\"min\":-0.1}}]}]");
    write_file(bin, std::string(1000, '\x7f'));
  }
  std::string out = tmp + "/out.onnx";
  const std::string py = "/usr/bin/python3 '" + converter() + "'";
  // Run everything first and remove the scratch dir before asserting (a failed
  // assertion ends the forked test process, so nothing after it would run).
  CmdResult trunc = run_cmd(py + " --manifest '" + manifest + "' --weights '" + bin + "' -o '" + out + "'");
  bool wrote_trunc = is_file(out);
  CmdResult missing = run_cmd(py + " --manifest '" + manifest + "' --weights '" + tmp +
                              "/nope.bin' -o '" + out + "'");
  write_file(tmp + "/bad.json", "[{\"paths\": ");
  CmdResult corrupt = run_cmd(py + " --manifest '" + tmp + "/bad.json' --weights '" + bin +
                              "' -o '" + out + "'");
  bool wrote_any = is_file(out);
  run_cmd("rm -rf '" + tmp + "'");

  std::printf("truncated .bin (%s manifest): rc=%d, message: %s", cache.empty() ? "synthetic" : "real",
              trunc.rc, trunc.output.c_str());
  fail_unless(trunc.rc != 0, "converter accepted a truncated weights file");
  fail_unless(trunc.output.find(bin) != std::string::npos, "message does not name %s: %s",
              bin.c_str(), trunc.output.c_str());
  fail_unless(trunc.output.find("truncated") != std::string::npos, "message does not say truncated");
  fail_if(wrote_trunc, "converter wrote %s from a truncated weights file", out.c_str());
  fail_unless(missing.rc != 0 && missing.output.find(tmp + "/nope.bin") != std::string::npos,
              "missing weights: rc=%d %s", missing.rc, missing.output.c_str());
  fail_unless(corrupt.rc != 0 && corrupt.output.find(tmp + "/bad.json") != std::string::npos,
              "corrupt manifest: rc=%d %s", corrupt.rc, corrupt.output.c_str());
  fail_if(wrote_any, "converter wrote %s from broken input", out.c_str());
}
GST_END_TEST;

// When the real tfjs files are cached, converting them again must reproduce the
// installed model byte for byte (the conversion is deterministic).
GST_START_TEST(test_converter_deterministic)
{
  const std::string cache = cached_faceapi_dir();
  const std::string conv_path = converted_model();  // main() made sure it is there
  fail_if(conv_path.empty());
  // fetch-models.sh unpacks the weights only when it converts: into an empty folder
  if (!testutil::require(!cache.empty(), "face-api weights not in " + faceapi_cache_dir(),
                         "run FACEREC_FETCH_OPTIONAL=0 bash models/fetch-models.sh \"$(mktemp -d)\" "
                         "(it unpacks @vladmandic/face-api@1.7.15 into the cache and converts it)"))
    return;
  std::string tmp = make_tmpdir();
  fail_if(tmp.empty());
  std::string out = tmp + "/again.onnx";
  CmdResult r = run_cmd("/usr/bin/python3 '" + converter() + "' -q --manifest '" + cache +
                        "/face_recognition_model-weights_manifest.json' --weights '" + cache +
                        "/face_recognition_model.bin' -o '" + out + "'");
  fail_unless(r.rc == 0, "converter failed: %s", r.output.c_str());
  r = run_cmd("cmp '" + out + "' '" + conv_path + "'");
  run_cmd("rm -rf '" + tmp + "'");
  std::printf("deterministic conversion: %s\n", r.rc == 0 ? "identical" : r.output.c_str());
  fail_unless(r.rc == 0, "re-conversion differs from %s", conv_path.c_str());
}
GST_END_TEST;


// The derived 128-d model is the projection of the 512-d one: for every face,
// output_128 = U128^T output_512 (raw outputs, before the L2 normalisation), with U128
// computed here from the 512-d model's own weights.
GST_START_TEST(test_fr_feature_128_parity)
{
  std::string p512, p128;
  if (!testutil::require_model("fr_feature.onnx", &p512) || !testutil::require_model("fr_feature_128d.onnx", &p128))
    return;
  const cv::Mat w = last_conv_weights(p512);
  fail_if(w.empty(), "%s: no 512->512 1x1 convolution at the end", p512.c_str());
  const cv::Mat u128 = top128_basis(w);
  const std::vector<cv::Mat> chips = arcface_chips(12);
  fail_unless(chips.size() >= 10, "only %zu faces found", chips.size());
  const cv::Mat e512 = raw_embeddings("faceplugin-feature-512", p512, chips);
  const cv::Mat e128 = raw_embeddings("faceplugin-feature-128", p128, chips);
  fail_unless(e512.cols == 512 && e128.cols == 128 && e512.rows == e128.rows);
  const cv::Mat projected = e512 * u128;  // rows: U128^T times each 512-d output
  double max_abs = 0, max_val = 0, min_norm_ratio = 1e9;
  for (int i = 0; i < e128.rows; ++i) {
    max_abs = std::max(max_abs, cv::norm(e128.row(i), projected.row(i), cv::NORM_INF));
    max_val = std::max(max_val, cv::norm(projected.row(i), cv::NORM_INF));
    min_norm_ratio = std::min(min_norm_ratio, cv::norm(e128.row(i)) / cv::norm(e512.row(i)));
  }
  std::printf("fr_feature_128d parity: %d real faces, max |out128 - U128^T out512| = %.3g (largest value %.3f); "
              "|out128| / |out512| >= %.3f\n",
              e128.rows, max_abs, max_val, min_norm_ratio);
  fail_unless(max_abs <= 1e-5, "128-d output differs from U128^T x 512-d output by %.3g > 1e-5", max_abs);
  // Not a degenerate projection: most of each embedding's length is kept.
  fail_unless(min_norm_ratio > 0.5, "the projection keeps only %.3f of an embedding's length", min_norm_ratio);
}
GST_END_TEST;

// The converter refuses a model that is not fr_feature.onnx (naming it) and writes
// nothing; converting fr_feature.onnx again gives the installed file's content digest.
GST_START_TEST(test_fr_feature_128_converter)
{
  std::string p512, p128;
  if (!testutil::require_model("fr_feature.onnx", &p512) || !testutil::require_model("fr_feature_128d.onnx", &p128))
    return;
  const std::string tmp = make_tmpdir();
  fail_if(tmp.empty());
  const std::string py = "/usr/bin/python3 '" + fr_converter() + "'";
  const std::string out = tmp + "/fr128.onnx";
  // The dlib recogniser is a valid ONNX file, but not fr_feature.onnx.
  const std::string other = converted_model();
  CmdResult wrong = run_cmd(py + " --model '" + other + "' -o '" + out + "'");
  const bool wrote_wrong = is_file(out);
  write_file(tmp + "/cut.onnx", std::string(1000, '\x08'));
  CmdResult corrupt = run_cmd(py + " --model '" + tmp + "/cut.onnx' -o '" + out + "'");
  CmdResult again = run_cmd(py + " -q --model '" + p512 + "' -o '" + out + "'");
  CmdResult d_again = run_cmd(py + " --digest '" + out + "'");
  CmdResult d_installed = run_cmd(py + " --digest '" + p128 + "'");
  run_cmd("rm -rf '" + tmp + "'");
  std::printf("not fr_feature: rc=%d %scorrupt: rc=%d %sdigests: %s / %s", wrong.rc, wrong.output.c_str(), corrupt.rc,
              corrupt.output.c_str(), d_again.output.c_str(), d_installed.output.c_str());
  fail_unless(wrong.rc == 1 && testutil::contains(wrong.output, other) &&
                  testutil::contains(wrong.output, "not fr_feature.onnx"),
              "rc=%d %s", wrong.rc, wrong.output.c_str());
  fail_if(wrote_wrong, "converter wrote %s from the wrong model", out.c_str());
  fail_unless(corrupt.rc == 1 && testutil::contains(corrupt.output, tmp + "/cut.onnx"), "rc=%d %s", corrupt.rc,
              corrupt.output.c_str());
  fail_unless(again.rc == 0, "converter failed: %s", again.output.c_str());
  fail_unless(d_again.rc == 0 && d_again.output.size() == 65 && d_again.output == d_installed.output,
              "re-conversion's digest %s differs from the installed %s's %s", d_again.output.c_str(), p128.c_str(),
              d_installed.output.c_str());
  // The digest fetch-models.sh checks is the manifest's.
  std::ifstream mf(testutil::source_root() + "/models/manifest.json");
  const std::string manifest((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
  fail_unless(testutil::contains(manifest, "\"content_sha256\": \"" + d_installed.output.substr(0, 64) + "\""),
              "models/manifest.json does not give the content digest %s", d_installed.output.c_str());
}
GST_END_TEST;

static Suite* converter_suite() {
  Suite* s = suite_create("converter_parity");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_parity_batch1_and_batched);
  tcase_add_test(tc, test_converter_rejects_truncated_weights);
  tcase_add_test(tc, test_converter_deterministic);
  tcase_add_test(tc, test_fr_feature_128_parity);
  tcase_add_test(tc, test_fr_feature_128_converter);
  return s;
}

int main(int argc, char** argv) {
  // Every test needs both models and the converter's python: checked once, here.
  std::string conv = converted_model(), ref = reference_model();
  if (conv.empty())
    return testutil::missing_outside_test(std::string("converted model ") + kConverted +
                                              " not found in $FACEREC_MODEL_PATH",
                                          "run bash models/fetch-models.sh (or bash scripts/setup.sh)");
  if (ref.empty())
    return testutil::missing_outside_test("reference model " + testutil::reference_model(kReference) + " not found",
                                          "the reference models come with the shared test data: copy them into " +
                                              testutil::reference_models() + " or set FACEREC_REFERENCE_MODELS");
  if (::access("/usr/bin/python3", X_OK) != 0)
    return testutil::missing_outside_test("/usr/bin/python3 not found", "run bash scripts/install-deps.sh");
  std::printf("converted: %s\nreference: %s\n", conv.c_str(), ref.c_str());
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(converter_suite(), "converter_parity", __FILE__);
}
