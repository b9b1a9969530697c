// Runs a piece of a test in a child process, so that a crash, a hang or a runaway
// allocation of the code under test is reported as such instead of taking the test
// runner down (or the machine's memory with it).
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include <gst/check/gstcheck.h>

namespace testutil {

struct Isolated {
  enum Kind { kReturned, kThrew, kCrashed, kTimedOut } kind = kCrashed;
  std::string text;  // what fn returned, the exception's what(), or the signal
  const char* kind_name() const {
    return kind == kReturned ? "returned" : kind == kThrew ? "threw" : kind == kCrashed ? "CRASHED" : "TIMED OUT";
  }
};

// fn runs in a forked child with `timeout_s` seconds of wall time (SIGALRM) and at
// most `max_mb` MB of address space (0: no limit); its return value or exception
// text comes back through a pipe.
inline Isolated run_isolated(const std::function<std::string()>& fn, unsigned timeout_s = 30,
                             unsigned long max_mb = 0) {
  int fds[2];
  fail_unless(pipe(fds) == 0);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  fail_unless(pid >= 0, "fork failed");
  if (pid == 0) {
    close(fds[0]);
    signal(SIGALRM, SIG_DFL);
    alarm(timeout_s);
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of shadow address space: no RLIMIT_AS
    if (max_mb) {
      struct rlimit rl;
      rl.rlim_cur = rl.rlim_max = rlim_t(max_mb) << 20;
      setrlimit(RLIMIT_AS, &rl);
    }
#endif
    std::string out;
    try {
      out = "R" + fn();
    } catch (const std::exception& e) {
      out = std::string("T") + e.what();
    } catch (...) {
      out = "Tunknown exception";
    }
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += size_t(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  Isolated r;
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
    r.kind = Isolated::kTimedOut;
    r.text = "no answer in " + std::to_string(timeout_s) + " s";
  } else if (WIFSIGNALED(st)) {
    r.kind = Isolated::kCrashed;
    r.text = "killed by signal " + std::to_string(WTERMSIG(st));
  } else if (!got.empty()) {
    r.kind = got[0] == 'R' ? Isolated::kReturned : Isolated::kThrew;
    r.text = got.substr(1);
  } else {
    r.text = "child exited without a word (status " + std::to_string(WEXITSTATUS(st)) + ")";
  }
  return r;
}

}  // namespace testutil
