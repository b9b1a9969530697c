// Fuzzes the .svm text parser (lib/svm_parse.cpp): any text parses into a model that
// predicts without a sanitizer report, or is an Error. A parsed model written out
// (to_text) parses again to the same text.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "facerec/svm.h"
#include "fuzz_common.h"

namespace {
constexpr int kDim = 128;  // the default embedder's; the seeds are 128-d models
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_ok_or_error([&] {
    const facerec::SvmModel m = facerec::SvmModel::parse(text, kDim, "fuzz.svm", "fix");
    std::vector<double> prob;
    const std::vector<double> zero(kDim, 0.0), ones(kDim, 1.0 / kDim);
    for (const auto* x : {&zero, &ones}) {
      const int label = m.predict(*x, &prob);
      bool known = false;
      for (int l : m.data().label) known = known || l == label;
      if (!known) fuzz::finding("predict() gave a label the model does not have");
      if (m.has_probability() && prob.size() != m.data().label.size())
        fuzz::finding("probabilities for " + std::to_string(prob.size()) + " of " +
                      std::to_string(m.data().label.size()) + " classes");
    }
    const std::string out = m.to_text();
    const facerec::SvmModel again = facerec::SvmModel::parse(out, kDim, "fuzz.svm", "fix");
    if (again.to_text() != out) fuzz::finding("to_text() of a parsed model does not round-trip");
  });
  return 0;
}
