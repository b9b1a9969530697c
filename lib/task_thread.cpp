#include "facerec/task_thread.h"

#include <utility>

namespace facerec {

TaskThread::TaskThread() : thread_([this] { run(); }) {}

TaskThread::~TaskThread() { stop(); }

bool TaskThread::post(std::function<void()> task, std::size_t max_queued) {
  {
    std::lock_guard<std::mutex> lk(lock_);
    if (stopping_ || queue_.size() >= max_queued) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_all();
  return true;
}

bool TaskThread::sleep_for(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lk(lock_);
  return !wake_.wait_for(lk, d, [this] { return stopping_; });
}

bool TaskThread::stopping() const {
  std::lock_guard<std::mutex> lk(lock_);
  return stopping_;
}

void TaskThread::wait_idle() {
  std::unique_lock<std::mutex> lk(lock_);
  idle_.wait(lk, [this] { return queue_.empty() && !running_; });
}

void TaskThread::stop() {
  {
    std::lock_guard<std::mutex> lk(lock_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void TaskThread::run() {
  std::unique_lock<std::mutex> lk(lock_);
  for (;;) {
    wake_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, nothing left: tasks queued before stop() still run
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lk.unlock();
    try {
      task();
    } catch (...) {
      // tasks report their own errors; the thread keeps serving
    }
    task = nullptr;  // release what the task captured outside the lock
    lk.lock();
    running_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace facerec
