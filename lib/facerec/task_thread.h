// TaskThread: one worker thread that runs queued tasks in order. The model
// watcher and the crop writer each own one, so that file I/O and model loading
// never happen on a streaming thread.
//
// Rules:
// - Tasks run one at a time, in the order they were posted, on the thread
//   started by the constructor.
// - post() with a bound: when `max_queued` tasks are already waiting (the one
//   running does not count), the task is dropped and post() returns false.
// - The destructor (or stop()) sets stopping(), wakes a task blocked in
//   sleep_for(), runs the tasks still queued (they may check stopping() and
//   return early), then joins. It never waits for a sleep to run out.
// - An exception escaping a task is swallowed (the thread keeps serving); tasks
//   report their own errors.
// - An owner whose tasks use the owner's members declares its TaskThread as the
//   last member (destroyed first: joined before those members go away).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

namespace facerec {

class TaskThread {
 public:
  TaskThread();
  ~TaskThread();
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues a task. False (task dropped) when stopping or when `max_queued`
  // tasks are already waiting.
  bool post(std::function<void()> task,
            std::size_t max_queued = std::numeric_limits<std::size_t>::max());

  // From a task: waits `d`, or less when stop() is called. False when stopping.
  bool sleep_for(std::chrono::nanoseconds d);

  bool stopping() const;
  // Blocks until no task is queued or running (tests, and owners that need a
  // quiet point). Must not be called from a task.
  void wait_idle();
  // Runs the queued tasks, then joins. Idempotent; the destructor calls it.
  void stop();

 private:
  void run();

  mutable std::mutex lock_;
  std::condition_variable wake_;  // the thread: a task or stop; sleep_for: stop
  std::condition_variable idle_;  // wait_idle()
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  bool running_ = false;  // a task is running
  std::thread thread_;    // last: started once the members above exist
};

}  // namespace facerec
