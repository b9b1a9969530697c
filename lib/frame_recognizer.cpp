// What facerecognize does with one frame (see facerec/frame_recognizer.h).
#include "facerec/frame_recognizer.h"

#include <map>

#include "facerec/aligner.h"
#include "facerec/classifier.h"
#include "facerec/embedder.h"
#include "facerec/landmarks.h"

namespace facerec {

FrameRecognizer::FrameRecognizer(std::shared_ptr<Embedder> embedder) : embedder_(std::move(embedder)) {
  if (!embedder_) throw Error("", "FrameRecognizer needs an embedder");
}

FrameRecognizer::~FrameRecognizer() = default;

void FrameRecognizer::reset() { recognizer_.reset(); }

std::vector<FaceOutput> FrameRecognizer::process(FrameSource& frame, const std::vector<FaceInput>& faces,
                                                 const std::shared_ptr<const Classifier>& model,
                                                 const RecognitionSettings& settings, LandmarkNet* landmarks) {
  RecognizerConfig rc = recognizer_.config();
  rc.reclassify_interval = settings.reclassify_interval;
  rc.max_per_frame = settings.max_per_frame;
  recognizer_.set_config(rc);
  const float gate = settings.gate > 0.f ? settings.gate : (model ? model->default_threshold() : 0.f);
  auto classify = [&](const Embedding& e) { return model->classify(e, gate); };
  if (model && (model != classified_with_ || gate != gate_used_)) {
    recognizer_.reclassify(classify);
    classified_with_ = model;
    gate_used_ = gate;
  }

  // Which faces are embedded now: every untracked one, the tracked ones the
  // recognizer asks for.
  std::vector<size_t> todo;
  std::vector<TrackedFace> tracked;
  std::vector<size_t> tracked_index;  // tracked[k] is faces[tracked_index[k]]
  for (size_t i = 0; i < faces.size(); ++i) {
    if (faces[i].track_id < 0) {
      todo.push_back(i);
      continue;
    }
    TrackedFace t;
    t.track_id = static_cast<uint64_t>(faces[i].track_id);
    t.face = faces[i].face;
    t.detected = faces[i].detected;
    tracked.push_back(t);
    tracked_index.push_back(i);
  }
  std::vector<bool> tracked_todo(tracked.size(), false);
  for (size_t k : recognizer_.plan(tracked)) {
    tracked_todo[k] = true;
    todo.push_back(tracked_index[k]);
  }

  // Align each face inside the part of the frame its chip covers; one batch.
  std::vector<Embedding> embs;
  if (!todo.empty()) {
    const ChipTemplate& tmpl = embedder_->spec().chip;
    const cv::Rect bounds(cv::Point(0, 0), frame.size());
    std::vector<Face> prepared;
    for (size_t i : todo) {
      Face f = faces[i].face;
      if (!f.has_landmarks && landmarks != nullptr) {
        // the landmark net reads the box with some context
        const cv::Rect2f& b = f.box;
        const cv::Rect around = cv::Rect(cv::Rect2f(b.x - b.width, b.y - b.height, 3 * b.width, 3 * b.height)) & bounds;
        cv::Mat img = frame.bgr_region(around);
        if (!img.empty()) {
          Face local = f;
          local.box -= cv::Point2f(static_cast<float>(around.x), static_cast<float>(around.y));
          landmarks->apply(img, local);
          if (local.has_landmarks) {
            const cv::Point2f o(static_cast<float>(around.x), static_cast<float>(around.y));
            move_points(local, [&o](const cv::Point2f& p) { return p + o; });
            f.landmarks = local.landmarks;
            f.has_landmarks = true;
            f.coarse_landmarks = local.coarse_landmarks;
            f.has_coarse_landmarks = local.has_coarse_landmarks;
          }
        }
      }
      if (!f.has_landmarks) {
        f.landmarks = landmarks_from_box(f.box);
        f.has_landmarks = true;
        f.has_coarse_landmarks = false;
      }
      prepared.push_back(f);
    }
    // Each chip from the frame's pixels around it only (align_source_rect).
    auto chip_of = [&frame, &tmpl, &bounds](const Face& f) {
      const cv::Rect src = align_source_rect(f, tmpl) & bounds;
      cv::Mat region = frame.bgr_region(src);
      if (region.empty()) return cv::Mat(cv::Mat::zeros(tmpl.size, CV_8UC3));
      Face local = f;
      const cv::Point2f o(static_cast<float>(src.x), static_cast<float>(src.y));
      local.box -= o;
      for (cv::Point2f& p : local.landmarks) p -= o;
      return align_face(region, local, tmpl);
    };
    embs = embedder_->embed_faces(prepared, chip_of);  // throws facerec::Error
    embedded_ += embs.size();
  }

  std::vector<FaceOutput> out(faces.size());
  fresh_.assign(faces.size(), Embedding());
  std::map<size_t, size_t> tracked_of;  // faces index -> tracked index
  for (size_t k = 0; k < tracked_index.size(); ++k) tracked_of[tracked_index[k]] = k;
  for (size_t j = 0; j < todo.size(); ++j) {
    const size_t i = todo[j];
    Match m;
    if (model) m = classify(embs[j]);
    auto it = tracked_of.find(i);
    if (it != tracked_of.end()) {
      recognizer_.record(tracked[it->second], std::move(embs[j]), m);
      continue;
    }
    fresh_[i] = std::move(embs[j]);
    out[i].embedding = &fresh_[i];
    out[i].classified = model != nullptr;
    out[i].match = m;
    out[i].fresh = true;
  }
  for (size_t k = 0; k < tracked.size(); ++k) {
    const TrackName* n = recognizer_.name(tracked[k].track_id);
    if (n == nullptr) continue;  // not embedded yet (max_per_frame)
    FaceOutput& o = out[tracked_index[k]];
    o.embedding = &n->embedding;
    o.classified = model != nullptr;
    o.match = n->match;
    o.fresh = n->fresh;
  }
  return out;
}

}  // namespace facerec
