// Detector loads off the streaming thread (see detector_loader.h).
#include "facerec/detector_loader.h"

namespace facerec {

DetectorLoader::DetectorLoader(Factory factory) : factory_(std::move(factory)) {}

bool DetectorLoader::same_files(const DetectorConfig& a, const DetectorConfig& b) {
  return a.type == b.type && a.model == b.model && a.config == b.config &&
         a.landmarks == b.landmarks && a.refine_landmarks == b.refine_landmarks;
}

std::unique_ptr<Detector> DetectorLoader::start(const DetectorConfig& cfg) {
  std::lock_guard<std::mutex> load(load_lock_);
  started_ = false;
  {
    std::lock_guard<std::mutex> swap(swap_lock_);
    pending_.reset();
    error_.reset();
  }
  std::unique_ptr<Detector> det = factory_(cfg);
  loaded_ = cfg;
  started_ = true;
  return det;
}

void DetectorLoader::stop() {
  std::lock_guard<std::mutex> load(load_lock_);
  started_ = false;
  std::lock_guard<std::mutex> swap(swap_lock_);
  pending_.reset();
  error_.reset();
}

void DetectorLoader::update(const DetectorConfig& cfg) {
  std::lock_guard<std::mutex> load(load_lock_);
  if (!started_ || same_files(cfg, loaded_)) return;
  loaded_ = cfg;
  std::unique_ptr<Detector> det;
  std::unique_ptr<Error> error;
  const std::string file = cfg.model.empty() ? std::string("(default detector)") : cfg.model;
  try {
    det = factory_(cfg);
  } catch (const Error& e) {
    error = std::make_unique<Error>(e);
  } catch (const std::exception& e) {
    error = std::make_unique<Error>(file, e.what());
  }
  std::lock_guard<std::mutex> swap(swap_lock_);
  pending_ = std::move(det);
  error_ = std::move(error);
}

std::unique_ptr<Detector> DetectorLoader::take() {
  std::lock_guard<std::mutex> swap(swap_lock_);
  if (error_) throw *error_;
  return std::move(pending_);
}

}  // namespace facerec
