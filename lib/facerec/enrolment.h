// Enrolment: a dataset folder (one subfolder per person, images inside) to
// embeddings, using the same detector / aligner / embedder as the elements.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment_quality.h"
#include "facerec/types.h"

namespace facerec {

struct EnrolledImage {
  std::string path;
  int label_id = -1;
  bool used = false;
  std::string skip_reason;  // when !used: "unreadable image", "no face", ...
  int faces_found = 0;
  Embedding embedding;
  int frame = -1;          // video frame index (path is the video); -1 for a still image
  float face_size = 0.f;   // shorter side of the enrolled face's box, pixels
  bool from_cache = false; // the result came from the embedding cache
  FaceQuality quality;     // of the enrolled face (enrolment_quality.h)
};

struct EnrolmentResult {
  std::vector<std::string> labels;   // one per person folder, sorted
  std::vector<EnrolledImage> images;
};

// The images (and with include_videos, the videos) directly in `dir`, sorted by
// path, hidden files skipped. Throws std::filesystem::filesystem_error when the
// folder cannot be read.
std::vector<std::string> list_media(const std::string& dir, bool include_videos = false);

// Lists DATASET/<person>/<image> (jpg, jpeg, png, bmp; sorted). Throws Error if
// the folder is missing or holds no person folder.
std::vector<std::pair<std::string, std::vector<std::string>>> list_dataset(const std::string& dir);

// Picks the face to enrol in an image: the most prominent one, i.e. the largest
// box area x detector confidence (a big but doubtful detection loses to a sure
// face) x, when `image` (the image's size) is given, 1 - the distance of the box
// centre from the image centre over half the image diagonal (1 in the middle, 0 in
// a corner: a photo of someone is framed on them, a larger bystander at the edge
// loses). Returns -1 if none.
int pick_enrolment_face(const std::vector<Face>& faces, cv::Size image = cv::Size());

// Detects, aligns and embeds every image. progress(i, n) is called per image.
// Still images only, no cache (see the overload below).
EnrolmentResult enrol_dataset(const std::string& dir, Detector& det, Embedder& emb,
                              const std::function<void(size_t, size_t)>& progress = {});

// Video enrolment. A person folder may hold videos; candidate frames are sampled every
// video_step frames (frame-based, not time-based: at 25 fps the default 10 is 2.5 frames
// a second). When that gives more than kVideoCandidates x video_max_frames candidates, the
// step is widened so that they spread over the whole video. A candidate passes only if the
// detector finds exactly one face and that face's box is at least video_min_face pixels
// on its shorter side ("no face found", "2 faces (need exactly one)", "face too small
// (41 px < 60 px)" otherwise). Of those, pick_video_frames enrols the best (quality_score)
// that are not near-duplicates of a frame already enrolled, at most video_max_frames (a
// long video must not outweigh the photos of everyone else); the others are skipped as
// "near-duplicate of an enrolled frame" or "not among the video's best frames".
constexpr int kVideoCandidates = 4;

struct EnrolOptions {
  EmbeddingCache* cache = nullptr;  // not owned; nullptr: no cache
  bool videos = true;               // enrol frames of the videos in person folders
  int video_step = 10;
  int video_max_frames = 50;        // most frames enrolled per video; 0: no limit
  int video_min_face = 60;
};

// .mp4 .webm .mkv .avi .mov (case-insensitive).
bool is_video_file(const std::string& path);
// .jpg .jpeg .png .bmp (case-insensitive).
bool is_image_file(const std::string& path);

// Like list_dataset, but each person's list holds images and, when
// include_videos is set, videos (sorted together by path).
std::vector<std::pair<std::string, std::vector<std::string>>> list_dataset_media(const std::string& dir,
                                                                                 bool include_videos);

// Detects, aligns and embeds the most prominent face of one image (im.path), through
// the cache when one is given. Never throws for a bad image: sets skip_reason.
void embed_image(EnrolledImage& im, Detector& det, Embedder& emb, EmbeddingCache* cache = nullptr);

// Samples and embeds the frames of one video (see EnrolOptions). Returns one
// entry per sampled frame (used or skipped), or a single skipped entry (frame
// -1) when the video cannot be opened.
std::vector<EnrolledImage> enrol_video(const std::string& path, int label_id, Detector& det, Embedder& emb,
                                       const EnrolOptions& opts);

// The frame choice of enrol_video: of the used entries of `frames` (one video's
// candidates), keeps the best by quality_score (ties: the earlier frame) that are at
// least lim.duplicate_distance (cosine) from every frame kept before, at most max_frames
// (0: no limit); the others become unused with a skip reason (above). Pure: no network.
void pick_video_frames(std::vector<EnrolledImage>& frames, int max_frames, const QualityLimits& lim = {});

// Images and (opts.videos) videos of every person folder, through opts.cache.
// progress(i, n) is called per file (image or whole video).
EnrolmentResult enrol_dataset(const std::string& dir, Detector& det, Embedder& emb, const EnrolOptions& opts,
                              const std::function<void(size_t, size_t)>& progress = {});

}  // namespace facerec
