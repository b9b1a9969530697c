// Running the project's tools from a test: argv in, exit status and output out.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include <glib.h>

#include "common.h"

namespace testutil {

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs argv (args[0] searched on PATH when it has no '/'), waits, prints the command's
// status and output to the test log.
inline Run run(const std::vector<std::string>& args) {
  std::vector<gchar*> argv;
  for (const auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  Run r;
  fail_unless(g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
                           &r.status, nullptr),
              "cannot run %s", args[0].c_str());
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  if (WIFEXITED(r.status)) r.status = WEXITSTATUS(r.status);
  g_print("$ %s ... -> %d\n%s%s\n", args[0].c_str(), r.status, r.out.c_str(), r.err.c_str());
  return r;
}

// A tool of this build: build/tools/NAME.
inline std::string tool(const std::string& name) { return build_root() + "/tools/" + name; }

// A whole file as a string ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace testutil
