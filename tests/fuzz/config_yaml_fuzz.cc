// libFuzzer target: bytes as a config directory file (multi-document YAML, `kind: List`)
// through parse_yaml, the ObjectStore, the snapshot compile and the snapshot's JSON dump;
// and the directory source's per-document cache (YamlFileCache), which must decode every
// input exactly as parse_yaml does: first from empty, then as an edit of a cached version.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "config/yaml_file_cache.h"
#include "ingest_snapshot.h"

namespace {

// Same objects (by key and source), same rejections, same messages.
std::string summary(const zmesh::Result<std::vector<zmesh::config::DecodedObject>>& parsed) {
  if (!parsed) return "error: " + parsed.error().message;
  std::string out;
  for (const auto& o : *parsed) {
    out += (o.key ? o.key->display() : "-") + " | " + o.error + " | " +
           (o.object ? zmesh::config::meta_of(*o.object).source : "-") + "\n";
  }
  return out;
}

void check_cache(const std::string& text) {
  zmesh::config::YamlFileCache cache;
  // A cached version first: the input with its first half of documents kept.
  (void)cache.parse(text.substr(0, text.size() / 2), "fuzz.yaml", "/fuzz/fuzz.yaml");
  auto cached = cache.parse(text, "fuzz.yaml", "/fuzz/fuzz.yaml");
  auto whole = zmesh::config::parse_yaml(text, "fuzz.yaml", "/fuzz/fuzz.yaml");
  if (summary(cached) != summary(whole)) {
    std::fprintf(stderr, "YamlFileCache differs from parse_yaml\n--- cache:\n%s--- parse_yaml:\n%s",
                 summary(cached).c_str(), summary(whole).c_str());
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zmesh::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = zmesh::config::parse_yaml(text, "fuzz.yaml", "/fuzz/fuzz.yaml");
  zmesh::fuzz::ingest(parsed);
  check_cache(text);
  return 0;
}
