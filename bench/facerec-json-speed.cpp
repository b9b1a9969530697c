// facerec-json-speed: what one faceexport / facepublish line costs, json-glib (what
// the elements use, gst/faceresult_json) against the hand-written writer faceexport
// had before (kept here, verbatim in what it wrote, as the baseline). A benchmark run
// by hand (see bench/README.md), not a test.
//
//   facerec-json-speed [--rounds R]
//
// Buffers with 0, 5 and 50 faces (detection and recognition params, a 128-float
// embedding each), with and without embeddings. Each case builds its line N times
// per round (N = 2000 / (faces + 1), at least 20); the median round gives ms per line.
// The ratio is json-glib / hand, measured in the same run. Exit status 0, 2 on a bad
// command line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "faceresult_json.h"
#include "facemeta.h"

namespace {

// ---- the hand writer faceexport used before json-glib (baseline) ----

void append_json_string(std::string& out, const char* s) {
  out += '"';
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(s); *p; ++p) {
    const unsigned char c = *p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_json_double(std::string& out, double v, const char* fmt = "%.6g") {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, fmt, v);
  out += buf;
}

std::string hand_line(GstBuffer* buf, guint64 frame, const char* source, int fw, int fh, bool embeddings) {
  std::string line;
  line.reserve(embeddings ? 2048 : 512);
  line += "{\"frame\": " + std::to_string(frame) + ", \"pts\": ";
  line += GST_BUFFER_PTS_IS_VALID(buf) ? std::to_string(GST_BUFFER_PTS(buf)) : std::string("null");
  line += ", \"source\": ";
  append_json_string(line, source);
  line += ", \"width\": " + std::to_string(fw) + ", \"height\": " + std::to_string(fh) + ", \"faces\": [";
  bool first = true;
  gpointer iter = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &iter)) {
    if (!first) line += ", ";
    first = false;
    line += "{\"box\": {\"x\": " + std::to_string(roi->x) + ", \"y\": " + std::to_string(roi->y) +
            ", \"width\": " + std::to_string(roi->w) + ", \"height\": " + std::to_string(roi->h) +
            "}, \"box_normalized\": {\"x\": ";
    const double x0 = std::min<double>(roi->x, fw), y0 = std::min<double>(roi->y, fh);
    const double x1 = std::min<double>(static_cast<double>(roi->x) + roi->w, fw);
    const double y1 = std::min<double>(static_cast<double>(roi->y) + roi->h, fh);
    append_json_double(line, x0 / fw);
    line += ", \"y\": ";
    append_json_double(line, y0 / fh);
    line += ", \"width\": ";
    append_json_double(line, (x1 - x0) / fw);
    line += ", \"height\": ";
    append_json_double(line, (y1 - y0) / fh);
    line += "}";
    gdouble conf = 0.0, lm[10];
    gst_facerec_roi_get_detection(roi, &conf, lm);
    line += ", \"confidence\": ";
    append_json_double(line, conf);
    line += ", \"landmarks\": [";
    for (int i = 0; i < 5; ++i) {
      line += i ? ", [" : "[";
      append_json_double(line, lm[2 * i], "%.2f");
      line += ", ";
      append_json_double(line, lm[2 * i + 1], "%.2f");
      line += "]";
    }
    line += "]";
    const gchar* label = nullptr;
    gint label_id = -1;
    gdouble score = 0.0, distance = 0.0;
    gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance);
    line += ", \"name\": ";
    if (label)
      append_json_string(line, label);
    else
      line += "null";
    line += ", \"label_id\": " + std::to_string(label_id) + ", \"score\": ";
    append_json_double(line, score);
    line += ", \"distance\": ";
    append_json_double(line, distance);
    line += ", \"track_id\": null";
    if (embeddings) {
      line += ", \"embedding\": [";
      GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(buf, roi->id);
      for (guint i = 0; em && i < em->dim; ++i) {
        if (i) line += ", ";
        append_json_double(line, static_cast<double>(em->data[i]), "%.9g");
      }
      line += "]";
    }
    line += "}";
  }
  line += "]}\n";
  return line;
}

// ---- the case buffers ----

GstBuffer* make_buffer(int faces) {
  GstBuffer* buf = gst_buffer_new();
  GST_BUFFER_PTS(buf) = 1234567890;
  std::vector<float> emb(128);
  for (int f = 0; f < faces; ++f) {
    const guint x = static_cast<guint>(17 * f % 1800), y = static_cast<guint>(29 * f % 1000);
    double lm[10];
    for (int i = 0; i < 10; ++i) lm[i] = (i % 2 ? y : x) + 10.37 * (i + 1);
    GstVideoRegionOfInterestMeta* roi = gst_buffer_add_facerec_face(buf, x, y, 87, 103, 0.9173, lm, TRUE);
    gst_facerec_roi_set_recognition(roi, f % 3 ? "Person Name" : nullptr, f % 3 ? 4 : -1, 0.8731, 0.4127);
    for (size_t i = 0; i < emb.size(); ++i) emb[i] = std::sin(static_cast<float>(i * (f + 1))) * 0.17f;
    gst_buffer_add_facerec_embedding_meta(buf, roi->id, "bench", emb.data(), static_cast<guint>(emb.size()));
  }
  return buf;
}

double median_ms_per_line(int rounds, int lines, const std::function<size_t()>& one) {
  size_t sink = one();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < lines; ++i) sink += one();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / lines);
  }
  if (sink == 0) std::printf(" ");  // keeps the work observable
  std::nth_element(t.begin(), t.begin() + static_cast<long>(t.size() / 2), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "Usage: facerec-json-speed [--rounds R]\n");
      return 2;
    }
  }
  gst_init(&argc, &argv);
  std::printf("%-6s %-10s %10s %12s %8s %10s %10s\n", "faces", "embedding", "hand ms", "json-glib ms", "ratio",
              "hand B", "json-glib B");
  JsonGenerator* gen = json_generator_new();
  GString* text = g_string_sized_new(1 << 16);
  for (int faces : {0, 5, 50}) {
    GstBuffer* buf = make_buffer(faces);
    for (bool embeddings : {false, true}) {
      const int lines = std::max(20, 2000 / (faces + 1));
      const double hand = median_ms_per_line(rounds, lines, [&] {
        return hand_line(buf, 42, "rtsp://camera/live", 1920, 1080, embeddings).size();
      });
      gstfacerec::ResultContext ctx;
      ctx.frame = 42;
      ctx.source = "rtsp://camera/live";
      ctx.width = 1920;
      ctx.height = 1080;
      ctx.embeddings = embeddings;
      const double glib = median_ms_per_line(rounds, lines, [&] {
        g_string_truncate(text, 0);
        gstfacerec::write_json(gen, gstfacerec::face_result_node(buf, ctx).get(), text, true);
        return static_cast<size_t>(text->len);
      });
      const size_t hand_bytes = hand_line(buf, 42, "rtsp://camera/live", 1920, 1080, embeddings).size();
      std::printf("%-6d %-10s %10.4f %12.4f %8.2f %10zu %10zu\n", faces, embeddings ? "yes" : "no", hand, glib,
                  glib / hand, hand_bytes, static_cast<size_t>(text->len));
    }
    gst_buffer_unref(buf);
  }
  g_string_free(text, TRUE);
  g_object_unref(gen);
  return 0;
}
