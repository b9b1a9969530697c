// Fuzzes the embedding cache reader (lib/embedding_cache.cpp): any file loads or is
// refused with a warning (never an exception: a cache never fails a run). A loaded
// cache, changed and saved, loads again with the same number of entries.
#include <cstddef>
#include <cstdint>
#include <string>

#include "facerec/embedding_cache.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("c.cache", reinterpret_cast<const char*>(data), size);
  try {
    facerec::EmbeddingCache c(path, "ctx");
    std::string warning;
    if (!c.load(&warning)) {
      if (warning.empty()) fuzz::finding("a refused cache without a warning");
      return 0;
    }
    facerec::CacheEntry e;
    e.used = true;
    e.faces_found = 1;
    e.embedding.assign(4, 0.5f);
    c.store(path, -1, e);  // the cache file itself as the "image": it exists
    const size_t before = c.size();
    c.save();
    facerec::EmbeddingCache again(path, "ctx");
    if (!again.load(&warning)) fuzz::finding("a saved cache does not load: " + warning);
    if (again.size() != before)
      fuzz::finding("saved " + std::to_string(before) + " entries, read " + std::to_string(again.size()));
  } catch (const std::exception& e) {
    fuzz::finding(std::string("the cache threw: ") + e.what());
  }
  return 0;
}
