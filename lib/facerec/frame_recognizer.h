// FrameRecognizer: what facerecognize does with one frame, without GStreamer.
//
// In: the frame's pixels (FrameSource, read only where a face is embedded), its
// faces (box, confidence, landmarks if any, track id if tracked, whether the box
// was detected on this frame), the trained model (may be null: embeddings only)
// and the gate threshold.
// Out, per face: its embedding (made now, or its track's latest), the match and
// whether it was made on this frame.
//
// - Untracked faces are embedded on every frame.
// - Tracked faces go through the per-track Recognizer (facerec/recognizer.h):
//   embedded when new, every reclassify_interval frames or when markedly better;
//   named by the vote of their recent classifications.
// - All faces embedded on a frame go through the network as one batch. Each is
//   aligned inside the part of the frame its chip covers (align_source_rect), so
//   a few faces of a big frame never convert the whole frame.
// - Faces without landmarks get them from the landmark net when one is given
//   (else the mean face is placed in the box).
// - A changed model or gate classifies the tracks' stored embeddings again.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "facerec/frame_source.h"
#include "facerec/recognizer.h"
#include "facerec/types.h"

namespace facerec {

class Classifier;
class Embedder;
class LandmarkNet;

struct FaceInput {
  Face face;              // frame pixels
  int64_t track_id = -1;  // -1: untracked
  bool detected = true;   // the box comes from a detection on this frame
};

struct FaceOutput {
  const Embedding* embedding = nullptr;  // null: not embedded yet (valid until the next process())
  bool classified = false;               // `match` holds a result (there is a model)
  Match match;
  bool fresh = false;                    // embedded and classified on this frame
};

struct RecognitionSettings {
  float gate = 0.f;             // unknown gate; <= 0: the model's own threshold
  int reclassify_interval = 10; // tracked faces (see RecognizerConfig)
  int max_per_frame = 0;        // tracked faces embedded per frame at most (0: no limit)
};

class FrameRecognizer {
 public:
  explicit FrameRecognizer(std::shared_ptr<Embedder> embedder);
  ~FrameRecognizer();

  std::vector<FaceOutput> process(FrameSource& frame, const std::vector<FaceInput>& faces,
                                  const std::shared_ptr<const Classifier>& model, const RecognitionSettings& settings,
                                  LandmarkNet* landmarks = nullptr);

  void reset();  // forget the tracks (flush, seek)
  Embedder& embedder() { return *embedder_; }
  uint64_t embedded() const { return embedded_; }  // faces embedded since construction

 private:
  std::shared_ptr<Embedder> embedder_;
  Recognizer recognizer_;
  std::shared_ptr<const Classifier> classified_with_;  // the model the tracks' votes come from
  float gate_used_ = -1.f;
  std::vector<Embedding> fresh_;  // this frame's embeddings of untracked faces
  uint64_t embedded_ = 0;
};

}  // namespace facerec
