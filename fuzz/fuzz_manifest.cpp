// Fuzzes the manifest parser (lib/manifest.cpp): any text parses into a manifest whose
// queries answer, or is an Error naming the manifest.
#include <cstddef>
#include <cstdint>
#include <string>

#include "facerec/embedder.h"
#include "facerec/models.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_ok_or_error([&] {
    const facerec::Manifest m = facerec::Manifest::parse(text, "fuzz.json");
    for (const auto& info : m.models()) {
      if (m.find(info.id) == nullptr) fuzz::finding("find() misses a parsed id");
      for (const auto& f : info.files)
        if (m.find_by_file(f.name) == nullptr) fuzz::finding("find_by_file() misses a parsed file");
      (void)info.config();
      fuzz::expect_ok_or_error([&] { (void)info.weights(); });
      if (info.role == "embedder")
        fuzz::expect_ok_or_error([&] {
          const facerec::EmbedderSpec s = facerec::embedder_spec(info);
          if (s.dim < 1 || s.chip.size.width < 1 || s.chip.size.height < 1)
            fuzz::finding("an embedder spec without a dimension or chip size");
        });
    }
    (void)m.describe_ids("detector");
    (void)m.describe_ids("embedder");
    (void)m.chip_template_names();
  });
  return 0;
}
