// libFuzzer target: bytes as a config directory file (multi-document YAML, `kind: List`)
// through parse_yaml, the ObjectStore, Snapshot::build and the snapshot's JSON dump.
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
  auto parsed = zmesh::config::parse_yaml(text, "fuzz.yaml", "/fuzz/fuzz.yaml");
  zmesh::fuzz::ingest(parsed);
  return 0;
}
