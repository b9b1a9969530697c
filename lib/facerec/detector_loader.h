// Loading a new detector while a stream runs, without stalling the stream: the thread that
// changes the model files (a property setter) loads the detector, and the streaming thread
// takes it between two frames. Plain C++, thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "facerec/detector.h"

namespace facerec {

class DetectorLoader {
 public:
  using Factory = std::function<std::unique_ptr<Detector>(const DetectorConfig&)>;
  explicit DetectorLoader(Factory factory = create_detector);

  // The stream starts with the detector of cfg, loaded here; throws its Error.
  std::unique_ptr<Detector> start(const DetectorConfig& cfg);
  // The stream stopped: loads stop and anything not taken is dropped.
  void stop();

  // The files or type may have changed (any thread). While started and when cfg names
  // other files or another type than the last load, loads it here, on the caller's thread,
  // and keeps the detector, or the load's Error, for take(). Never throws.
  void update(const DetectorConfig& cfg);

  // Streaming thread, between frames: the newest loaded detector (nullptr: none since the
  // last take()), or throws the Error of the newest load when that failed (and again on
  // every call until a load succeeds).
  std::unique_ptr<Detector> take();

  // Same files and type (thresholds and limits do not need a new detector).
  static bool same_files(const DetectorConfig& a, const DetectorConfig& b);

 private:
  Factory factory_;
  std::mutex load_lock_;  // held during a load: orders loads with start() and stop()
  bool started_ = false;
  DetectorConfig loaded_;  // the files of the newest load, done or failed
  std::mutex swap_lock_;   // never held during a load, so take() never waits for one
  std::unique_ptr<Detector> pending_;
  std::unique_ptr<Error> error_;
};

}  // namespace facerec
