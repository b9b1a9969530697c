// Drawing the contact sheet of who was seen (see facerec/contact_sheet.h).
#include "facerec/contact_sheet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facerec/safe_io.h"
#include "facerec/types.h"

namespace facerec {

namespace {

constexpr int kPad = 8;          // around the crop, between tiles
constexpr int kLine = 18;        // text line height
constexpr int kLines = 4;        // text lines per tile
constexpr int kTitleBar = 46;    // two lines: the title and the counts
constexpr int kMaxColumns = 6;
constexpr int kMinColumns = 3;   // the title bar's text needs ~3 tiles of width
// Wider than the crop: the text lines (file names on the overall sheet) need the room.
constexpr int kTileW = 208;
constexpr int kTileH = kPad + kSightingCrop + 6 + kLines * kLine + kPad;
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
// The overlay's defaults (known-color 0x00FF00, unknown-color 0xFF0000), as BGR.
const cv::Scalar kKnown(0, 220, 0), kUnknown(60, 60, 255);
const cv::Scalar kBackground(40, 40, 40), kTileBackground(64, 64, 64), kText(240, 240, 240),
    kDim(180, 180, 180);

// Hershey fonts have ASCII only: each other UTF-8 character becomes one '?'.
std::string ascii(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      o += char(c);
    } else if (c >= 0x80) {
      o += '?';
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    } else {
      o += '?';
    }
  }
  return o;
}

// s cut to fit `width` pixels, ending with ".." when cut.
std::string fit(const std::string& s, double scale, int thickness, int width) {
  std::string t = ascii(s);
  int base = 0;
  if (cv::getTextSize(t, kFont, scale, thickness, &base).width <= width) return t;
  while (!t.empty() && cv::getTextSize(t + "..", kFont, scale, thickness, &base).width > width) t.pop_back();
  return t + "..";
}

}  // namespace

SheetLayout contact_sheet_layout(size_t n) {
  SheetLayout l;
  l.columns = int(std::clamp<size_t>(n, size_t(kMinColumns), size_t(kMaxColumns)));
  const int rows = n == 0 ? 0 : int((n + size_t(l.columns) - 1) / size_t(l.columns));
  l.size = cv::Size(kPad + l.columns * (kTileW + kPad), kTitleBar + rows * (kTileH + kPad) + kPad);
  for (size_t i = 0; i < n; ++i) {
    const int col = int(i % size_t(l.columns)), row = int(i / size_t(l.columns));
    const cv::Rect tile(kPad + col * (kTileW + kPad), kTitleBar + kPad + row * (kTileH + kPad), kTileW, kTileH);
    l.tiles.push_back(tile);
    l.crops.emplace_back(tile.x + (kTileW - kSightingCrop) / 2, tile.y + kPad, kSightingCrop, kSightingCrop);
  }
  return l;
}

std::string format_stream_time(double seconds) {
  char buf[32];
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  if (seconds >= 3600) {
    const long t = std::lround(seconds);
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  } else {
    const long tenths = std::lround(seconds * 10);
    std::snprintf(buf, sizeof buf, "%ld:%02ld.%ld", tenths / 600, tenths / 10 % 60, tenths % 10);
  }
  return buf;
}

std::vector<std::string> sighting_lines(const Sighting& s) {
  std::vector<std::string> l;
  l.push_back(s.known() ? s.name : s.track ? "unknown #" + std::to_string(s.track) : std::string("unknown"));
  const std::string frames = std::to_string(s.frames) + (s.frames == 1 ? " frame" : " frames");
  if (s.sources == 0) {  // one stream
    l.push_back(format_stream_time(s.first_s) + " - " + format_stream_time(s.last_s));
    l.push_back(frames);
  } else if (s.sources == 1) {
    l.push_back(s.first_source);
    l.push_back(format_stream_time(s.first_s) + " - " + format_stream_time(s.last_s));
    l.push_back(frames);
  } else {
    l.push_back("first " + format_stream_time(s.first_s) + " in " + s.first_source);
    l.push_back("last " + format_stream_time(s.last_s) + " in " + s.last_source);
    l.push_back(frames + ", " + std::to_string(s.sources) + " videos");
  }
  return l;
}

cv::Mat render_contact_sheet(const std::vector<Sighting>& sightings, const std::string& title) {
  const SheetLayout l = contact_sheet_layout(sightings.size());
  cv::Mat sheet(l.size, CV_8UC3, kBackground);
  size_t known = 0;
  for (const Sighting& s : sightings) known += s.known() ? 1 : 0;
  const size_t unknown = sightings.size() - known;
  const int text_w = l.size.width - 2 * kPad;
  cv::putText(sheet, fit(title, 0.6, 1, text_w), cv::Point(kPad, 20), kFont, 0.6, kText, 1, cv::LINE_AA);
  std::string counts = sightings.empty() ? std::string("nobody seen")
                                         : std::to_string(known) + (known == 1 ? " person" : " people") + ", " +
                                               std::to_string(unknown) + " unknown face track" +
                                               (unknown == 1 ? "" : "s");
  cv::putText(sheet, fit(counts, 0.45, 1, text_w), cv::Point(kPad, 40), kFont, 0.45, kDim, 1, cv::LINE_AA);
  for (size_t i = 0; i < sightings.size(); ++i) {
    const Sighting& s = sightings[i];
    const cv::Rect tile = l.tiles[i], crop = l.crops[i];
    const cv::Scalar colour = s.known() ? kKnown : kUnknown;
    cv::rectangle(sheet, tile, kTileBackground, cv::FILLED);
    if (!s.crop.empty() && s.crop.size() == crop.size() && s.crop.type() == CV_8UC3)
      s.crop.copyTo(sheet(crop));
    else
      cv::putText(sheet, "no crop", crop.tl() + cv::Point(40, kSightingCrop / 2), kFont, 0.45, kDim, 1, cv::LINE_AA);
    // the frame goes around the crop, outside it: the crop itself stays as it was seen
    cv::rectangle(sheet, crop - cv::Point(3, 3) + cv::Size(6, 6), colour, 3);
    const auto lines = sighting_lines(s);
    for (size_t k = 0; k < lines.size() && k < size_t(kLines); ++k) {
      const double scale = k == 0 ? 0.5 : 0.4;
      const cv::Point at(tile.x + kPad, crop.br().y + 6 + int(k + 1) * kLine - 4);
      cv::putText(sheet, fit(lines[k], scale, 1, tile.width - 2 * kPad), at, kFont, scale, k == 0 ? colour : kText,
                  1, cv::LINE_AA);
    }
  }
  return sheet;
}

void write_contact_sheet(const std::string& path, const std::vector<Sighting>& sightings, const std::string& title) {
  std::vector<uchar> png;
  if (!cv::imencode(".png", render_contact_sheet(sightings, title), png))
    throw Error(path, "cannot encode the contact sheet as PNG");
  StagedFile f(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  f.commit();
}

}  // namespace facerec
