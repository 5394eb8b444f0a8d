// The rest of the ingestion path after decoding, shared by the fuzz targets: what a
// config source does with a parse (ObjectStore, commit, snapshot) and what the admin API
// does with the snapshot (to_json), so a decoded object that breaks a later stage is found.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <vector>

#include "config/object_store.h"
#include "config/yaml_parser.h"

namespace zmesh::fuzz {

// Logging would only slow the fuzzer down; the code under test logs at debug and warn.
inline void quiet_logs() {
  spdlog::set_level(spdlog::level::off);
}

inline void ingest(const Result<std::vector<config::DecodedObject>>& parsed) {
  config::ObjectStore store;
  store.set_file("a.yaml", parsed);
  // The same objects from a second file: duplicate resolution, precedence by file.
  store.set_file("b.yaml", parsed);
  store.commit();
  // dump() walks every string: invalid UTF-8 from the input throws type_error here, which
  // the admin API must survive too, so it is not caught.
  (void)store.build_snapshot()->to_json().dump();
  // The incremental paths: the owner file goes (the duplicate takes over), then everything
  // goes (every object deleted from the compiled snapshot).
  store.remove_file("a.yaml");
  store.commit();
  (void)store.build_snapshot()->to_json().dump();
  store.remove_file("b.yaml");
  store.commit();
  if (store.build_snapshot()->workload_count() != 0) __builtin_trap();
}

}  // namespace zmesh::fuzz
