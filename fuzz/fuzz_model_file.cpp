// Fuzzes the model pair reader (lib/model_file.cpp, through Classifier::load): the
// input is MODEL's JSON text, then optionally a NUL byte and MODEL.svm's text. Any
// input loads into a classifier that classifies (labels and scores in range), or is
// an Error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "facerec/classifier.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(std::memchr(p, '\0', size));
  const size_t json_size = nul ? size_t(nul - p) : size;
  const std::string model = fuzz::write_scratch("m.model", p, json_size);
  const std::string svm = model + ".svm";
  if (nul)
    fuzz::write_scratch("m.model.svm", nul + 1, size - json_size - 1);
  else
    ::unlink(svm.c_str());
  fuzz::expect_ok_or_error([&] {
    const facerec::Classifier c = facerec::Classifier::load(model);
    if (c.dim() < 1 || c.labels().empty()) fuzz::finding("loaded a model without dim or labels");
    if (!(c.default_threshold() > 0.f) || !std::isfinite(c.default_threshold()))
      fuzz::finding("loaded a model with a threshold that is not finite and > 0");
    if (c.dim() > 4096) return;  // valid, but slow to probe
    facerec::Embedding e(size_t(c.dim()), 0.f);
    for (int k = 0; k < 2; ++k) {
      const facerec::Match m = c.classify(e, c.default_threshold());
      if (m.candidate_id < 0 || size_t(m.candidate_id) >= c.labels().size() || !(m.score >= 0.f && m.score <= 1.f) ||
          (m.known && m.label != c.labels()[size_t(m.candidate_id)]))
        fuzz::finding("classify() gave candidate " + std::to_string(m.candidate_id) + " score " +
                      std::to_string(m.score));
      e.assign(e.size(), 1.f / float(c.dim()));
    }
  });
  return 0;
}
