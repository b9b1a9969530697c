// facerec-batch: the overall contact sheet, merged from the sightings each video's
// facerec-annotate kept in OUT/.facerec-batch (a local run, or the Slurm submitter
// after its tasks). C++ for lib/sightings + lib/contact_sheet; called from C.
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <glib.h>

#include "batch.h"

#include "facerec/contact_sheet.h"
#include "facerec/sightings.h"

extern "C" void batch_write_summary(const BatchOptions* o, GPtrArray* jobs) {
  std::vector<std::pair<std::string, std::vector<facerec::Sighting>>> videos;
  guint done = 0;
  for (guint i = 0; i < jobs->len; ++i) {
    const Job* j = static_cast<const Job*>(g_ptr_array_index(jobs, i));
    if (j->state != JOB_OK && j->state != JOB_SKIPPED) continue;
    ++done;
    const std::string prefix = j->sightings;
    if (!g_file_test((prefix + ".tsv").c_str(), G_FILE_TEST_EXISTS)) continue;  // done before sheets existed
    try {
      videos.emplace_back(j->name, facerec::load_sightings(prefix));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "facerec-batch: warning: %s is left out of the summary image: %s\n", j->name, e.what());
    }
  }
  if (done == 0) return;  // nothing to show: no sheet, no message
  try {
    const auto merged = facerec::merge_sightings(videos);
    gchar* dir = g_path_get_basename(o->indir);
    const std::string title = std::string(dir) + ": " + std::to_string(videos.size()) +
                              (videos.size() == 1 ? " video" : " videos");
    g_free(dir);
    facerec::write_contact_sheet(o->summary, merged, title);
    guint people = 0;
    for (const auto& s : merged) people += s.known() ? 1 : 0;
    std::printf("summary image: %s: %u tile(s): %u known, %u unknown, from %zu of %u video(s)\n", o->summary,
                guint(merged.size()), people, guint(merged.size()) - people, videos.size(), done);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facerec-batch: warning: no summary image: %s\n", e.what());
  }
  std::fflush(stdout);
}
