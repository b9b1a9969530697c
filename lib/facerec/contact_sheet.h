// A contact sheet of who was seen: a title bar, then one tile per Sighting (see
// sightings.h) in rows, each with the face crop and up to four lines of text (name,
// times, frames; the videos on facerec-batch's overall sheet). Known people have a
// green frame, unknowns a red one (the overlay's colours). Text is drawn with OpenCV's
// Hershey font, which has ASCII only: other characters are shown as '?'.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/sightings.h"

namespace facerec {

struct SheetLayout {
  cv::Size size;                  // the whole sheet
  int columns = 0;
  std::vector<cv::Rect> crops;    // per tile: where its face crop is drawn (kSightingCrop square)
  std::vector<cv::Rect> tiles;    // per tile: the whole tile (crop + text)
};

// Where n tiles go: rows of up to 6 columns (at least 3 wide, so that the title fits).
SheetLayout contact_sheet_layout(size_t n);

// The text lines of a tile (at most 4), before fitting to the tile's width.
std::vector<std::string> sighting_lines(const Sighting& s);

// "m:ss.s" (or "h:mm:ss" from an hour on) for a stream time in seconds.
std::string format_stream_time(double seconds);

// Draws the sheet: `title` (e.g. the video's name) and a count of the people and
// unknowns in the title bar, then the tiles in the order given. Zero sightings give a
// sheet that says nobody was seen.
cv::Mat render_contact_sheet(const std::vector<Sighting>& sightings, const std::string& title);

// render_contact_sheet() written as PNG to path (temporary name, renamed). Throws
// Error(path, ...) naming the cause.
void write_contact_sheet(const std::string& path, const std::vector<Sighting>& sightings, const std::string& title);

}  // namespace facerec
