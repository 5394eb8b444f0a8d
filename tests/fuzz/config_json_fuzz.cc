// libFuzzer target: bytes as one object from the Kubernetes API (JSON, or YAML) through
// parse_object, then the same store and snapshot path as a directory file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest_snapshot.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zmesh::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = zmesh::config::parse_object(text, "kube", "kube://fuzz");
  zmesh::fuzz::ingest(parsed);
  return 0;
}
