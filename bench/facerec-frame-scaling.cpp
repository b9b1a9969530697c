// facerec-frame-scaling: what producing facedetect-dnn's processing-size BGR image costs per
// frame, for a 1920x1080 frame in the decoders' formats. A benchmark run by hand (see
// bench/README.md), not a test.
//
//   facerec-frame-scaling [--testdata DIR] [--rounds R] [--width W] [--threads N]
//
// Two ways, measured in the same run on the same mapped frame:
//   convert+resize  frame_to_bgr() at full size, then cv::resize (INTER_AREA): what the
//                   element did before for I420 / NV12 / YUY2 (the baseline)
//   scaled          frame_to_bgr_scaled(): planes resized from the mapped memory and
//                   converted at the small size
// For each format and processing width (640 and 320 by default, or --width) it prints the
// fastest of R rounds in CPU ms per frame (--threads: OpenCV's thread count, default 1), the ratio baseline / scaled, and how far the two images
// differ (mean and max absolute difference per channel value, 0..255; the scaled image's
// chroma has half its luma resolution, as in the source, where the baseline's had the
// small size's), and whether that changes what the default detector finds on the three
// test photos (faces found on each image, mean IoU of each baseline face with the closest
// scaled-image face).
// Exit status: 0 when it ran, 1 when the test image is missing, 2 on a bad command line.
#include <algorithm>
#include <ctime>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/video.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facerec/detector.h"
#include "facerec/frame_detector.h"
#include "videoframe.h"

namespace {

// The BGR image written into a buffer of `fmt` (GStreamer's default layout).
GstBuffer* make_frame(const cv::Mat& bgr, GstVideoFormat fmt, GstVideoInfo* info) {
  const int w = bgr.cols, h = bgr.rows;
  gst_video_info_set_format(info, fmt, static_cast<guint>(w), static_cast<guint>(h));
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, info->size, nullptr);
  GstVideoFrame f;
  gst_video_frame_map(&f, info, buf, GST_MAP_WRITE);
  auto plane = [&f](guint p) {
    return cv::Mat(GST_VIDEO_FRAME_COMP_HEIGHT(&f, p), GST_VIDEO_FRAME_PLANE_STRIDE(&f, p), CV_8UC1,
                   GST_VIDEO_FRAME_PLANE_DATA(&f, p), static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&f, p)));
  };
  cv::Mat yuv;
  cv::cvtColor(bgr, yuv, cv::COLOR_BGR2YUV_I420);  // Y, then U, then V, contiguous
  const cv::Mat Y = yuv.rowRange(0, h);
  const cv::Mat U(h / 2, w / 2, CV_8UC1, yuv.ptr(h));
  const cv::Mat V(h / 2, w / 2, CV_8UC1, yuv.ptr(h) + (w / 2) * (h / 2));
  switch (fmt) {
    case GST_VIDEO_FORMAT_I420:
      Y.copyTo(plane(0).colRange(0, w));
      U.copyTo(plane(1).colRange(0, w / 2));
      V.copyTo(plane(2).colRange(0, w / 2));
      break;
    case GST_VIDEO_FORMAT_NV12: {
      Y.copyTo(plane(0).colRange(0, w));
      cv::Mat uv;
      cv::merge(std::vector<cv::Mat>{U, V}, uv);
      uv.reshape(1, h / 2).copyTo(plane(1).colRange(0, w));
      break;
    }
    case GST_VIDEO_FORMAT_YUY2: {
      cv::Mat p = plane(0);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; x += 2) {
          uint8_t* d = p.ptr<uint8_t>(y) + 2 * x;
          d[0] = Y.at<uint8_t>(y, x);
          d[1] = U.at<uint8_t>(y / 2, x / 2);
          d[2] = Y.at<uint8_t>(y, x + 1);
          d[3] = V.at<uint8_t>(y / 2, x / 2);
        }
      break;
    }
    default: {  // BGRx
      cv::Mat bgrx;
      cv::cvtColor(bgr, bgrx, cv::COLOR_BGR2BGRA);
      bgrx.reshape(1, h).copyTo(plane(0).colRange(0, 4 * w));
    }
  }
  gst_video_frame_unmap(&f);
  return buf;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The fastest of R rounds, in CPU time of this thread (OpenCV runs on this thread alone at
// --threads 1): on a shared machine other processes then add little, and never subtract.
template <typename Fn>
double min_ms(int rounds, Fn&& fn) {
  std::vector<double> ms;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = thread_cpu_ms();
    fn();
    ms.push_back(thread_cpu_ms() - t0);
  }
  return *std::min_element(ms.begin(), ms.end());
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  std::string testdata = std::getenv("FACEREC_TESTDATA") ? std::getenv("FACEREC_TESTDATA") : "../shared/testdata";
  int rounds = 30, threads = 1;
  std::vector<int> widths = {640, 320};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--testdata" && i + 1 < argc) testdata = argv[++i];
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) threads = std::max(0, std::atoi(argv[++i]));
    else if (a == "--width" && i + 1 < argc) widths = {std::max(1, std::atoi(argv[++i]))};
    else {
      std::fprintf(stderr, "usage: %s [--testdata DIR] [--rounds R] [--width W] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  std::vector<cv::Mat> frames;  // the test photos scaled to 1920x1080 (aspect not kept)
  for (const char* name : {"227943776_1.jpg", "230501201_1.jpg", "messi5.jpg"}) {
    const std::string file = testdata + "/images/" + name;
    const cv::Mat img = cv::imread(file, cv::IMREAD_COLOR);
    if (img.empty()) {
      std::fprintf(stderr, "cannot read %s (set --testdata or FACEREC_TESTDATA)\n", file.c_str());
      return 1;
    }
    frames.emplace_back();
    cv::resize(img, frames.back(), cv::Size(1920, 1080), 0, 0, cv::INTER_CUBIC);
  }
  std::unique_ptr<facerec::Detector> detector;
  try {
    detector = facerec::create_detector(facerec::DetectorConfig{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  if (threads > 0) cv::setNumThreads(threads);
  if (threads != 1) std::printf("note: with OpenCV threads other than 1 the times miss the work of its pool threads\n");
  std::printf("1920x1080 frames of %s/images, fastest of %d rounds, OpenCV threads %d\n\n",
              testdata.c_str(), rounds, cv::getNumThreads());
  std::printf("%-6s %-9s %17s %10s %7s %14s %12s %9s\n", "format", "size", "convert+resize ms",
              "scaled ms", "ratio", "diff mean/max", "faces", "mean IoU");
  for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2}) {
    for (int w : widths) {
      const cv::Size psize = facerec::FrameDetector::processing_size({1920, 1080}, w, 0);
      double ms_before = 0, ms_after = 0, mean_diff = 0, max_diff = 0, iou_sum = 0;
      int faces_before = 0, faces_after = 0;
      for (size_t k = 0; k < frames.size(); ++k) {
        GstVideoInfo info;
        GstBuffer* buf = make_frame(frames[k], fmt, &info);
        GstVideoFrame frame;
        gst_video_frame_map(&frame, &info, buf, GST_MAP_READ);
        cv::Mat before, after;
        gstfacerec::ScaleScratch scratch;
        auto old_way = [&] {
          cv::resize(gstfacerec::frame_to_bgr(&frame), before, psize, 0, 0, cv::INTER_AREA);
        };
        auto new_way = [&] { after = gstfacerec::frame_to_bgr_scaled(&frame, psize, scratch); };
        if (k == 0) {  // timed on the first photo
          ms_before = min_ms(rounds, old_way);
          ms_after = min_ms(rounds, new_way);
        }
        old_way();
        new_way();
        cv::Mat diff;
        cv::absdiff(before, after, diff);
        double mx = 0;
        cv::minMaxLoc(diff.reshape(1), nullptr, &mx);
        max_diff = std::max(max_diff, mx);
        mean_diff += cv::mean(diff.reshape(1))[0] / double(frames.size());
        const auto fb = detector->detect(before), fa = detector->detect(after.clone());
        faces_before += int(fb.size());
        faces_after += int(fa.size());
        for (const auto& f : fb) {
          float best = 0.f;
          for (const auto& g : fa) best = std::max(best, facerec::iou(f.box, g.box));
          iou_sum += best;
        }
        gst_video_frame_unmap(&frame);
        gst_buffer_unref(buf);
      }
      const std::string faces = std::to_string(faces_before) + " / " + std::to_string(faces_after);
      std::printf("%-6s %4dx%-4d %17.2f %10.2f %6.1fx %8.2f/%-5.0f %12s %9.3f\n",
                  gst_video_format_to_string(fmt), psize.width, psize.height, ms_before, ms_after,
                  ms_before / ms_after, mean_diff, max_diff, faces.c_str(),
                  faces_before ? iou_sum / faces_before : 0.0);
    }
  }
  return 0;
}
