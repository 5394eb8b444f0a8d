// The set of objects currently serving, merged from every file (or, later, API watch) with
// last-good semantics:
// - an object rejected by validation leaves its previous valid version (same kind,
//   namespace, name) serving;
// - a file that is not YAML at all keeps every object it contributed before;
// - an object gone from a valid file, or a removed file, is deleted;
// - the same object defined twice: the file already serving it keeps it (else the first
//   file in name order), and the other definition is rejected.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/object.h"
#include "state/snapshot.h"

namespace zmesh::config {

class ObjectStore {
 public:
  // `root_namespace`: Istio's root namespace, for the snapshots it builds.
  explicit ObjectStore(std::string root_namespace = state::kDefaultRootNamespace)
      : root_namespace_(std::move(root_namespace)) {}

  // Replaces what `file` contributes with its latest parse. Takes effect on commit().
  void set_file(const std::string& file, Result<std::vector<DecodedObject>> parsed);
  void remove_file(const std::string& file);
  bool has_file(const std::string& file) const { return files_.count(file) != 0; }
  std::vector<std::string> files() const;

  // Recomputes the serving objects and errors. Returns the errors not reported by the
  // previous commit (for logging once).
  std::vector<std::string> commit();

  // One message per rejected object or file, as of the last commit.
  const std::vector<std::string>& errors() const { return errors_; }

  // The serving object with this key, or null.
  std::shared_ptr<const Object> find(const ObjectKey& key) const;
  size_t size() const { return serving_.size(); }

  std::shared_ptr<const state::Snapshot> build_snapshot() const;

 private:
  struct FileState {
    bool parse_failed = false;
    std::string parse_error;
    std::vector<DecodedObject> objects;
  };
  struct Served {
    std::shared_ptr<const Object> object;
    std::string file;  // which file defines it now (precedence for duplicates)
  };

  std::string root_namespace_;
  std::map<std::string, FileState> files_;  // by file name: deterministic order
  std::map<ObjectKey, Served> serving_;
  std::vector<std::string> errors_;
};

}  // namespace zmesh::config
