// The set of objects currently serving, merged from every file (or, later, API watch) with
// last-good semantics:
// - an object rejected by validation leaves its previous valid version (same kind,
//   namespace, name) serving;
// - a file that is not YAML at all keeps every object it contributed before;
// - an object gone from a valid file, or a removed file, is deleted;
// - the same object defined twice: the file already serving it keeps it (else the first
//   file in name order), and the other definition is rejected.
// - an object of a kind that counts only in the root namespace (KindInfo::root_namespace_only:
//   ConfigMap istio) is dropped, without error, when it is in another namespace.
// A commit costs what changed, not what is stored: only the objects the files set or removed
// since the last commit are re-decided, and the snapshot is recompiled from those changes
// (Snapshot::with). The Kubernetes source keeps one "file" per object, so one watch event
// is one small commit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "config/object.h"
#include "state/snapshot.h"

namespace zmesh::config {

class ObjectStore {
 public:
  // `root_namespace`: Istio's root namespace, for the snapshots it builds.
  explicit ObjectStore(std::string root_namespace = state::kDefaultRootNamespace)
      : snapshot_(std::make_shared<const state::Snapshot>(
            state::BuildOptions{std::move(root_namespace)})) {}

  // Replaces what `file` contributes with its latest parse. Takes effect on commit().
  void set_file(const std::string& file, Result<std::vector<DecodedObject>> parsed);
  void remove_file(const std::string& file);
  bool has_file(const std::string& file) const { return files_.count(file) != 0; }
  std::vector<std::string> files() const;

  // Recomputes the serving objects and errors of what changed, and the snapshot. Returns
  // the errors not reported by the previous commit (for logging once).
  std::vector<std::string> commit();

  // One message per rejected object or file, as of the last commit.
  const std::vector<std::string>& errors() const { return errors_; }

  // The serving object with this key, or null.
  std::shared_ptr<const Object> find(const ObjectKey& key) const;
  size_t size() const { return serving_count_; }

  // The snapshot of the serving objects as of the last commit.
  std::shared_ptr<const state::Snapshot> build_snapshot() const { return snapshot_; }

 private:
  struct FileState {
    bool parse_failed = false;
    std::string parse_error;
    std::vector<DecodedObject> objects;
    // As of the last commit: the keys it defines or rejects, and its error messages.
    std::vector<const ObjectKey*> keys;  // into entries_
    std::vector<std::string> errors;
  };
  // Everything known about one key. File names are pointers to files_' keys; a removed
  // file's pointers are dropped from `files` at once, and `owner` is only compared (never
  // read) until the next commit re-decides every key the file mentioned.
  using File = std::pair<const std::string, FileState>;  // an element of files_
  struct Entry {
    std::vector<const File*> files;        // files mentioning it, by name
    std::shared_ptr<const Object> object;  // serving version, or null
    const std::string* owner = nullptr;    // the file it is served from
    uint64_t seen = 0;                     // the commit that last re-decided it
  };
  struct Candidate {
    std::shared_ptr<const Object> object;
    const std::string* file;
  };

  // Re-decides one key from the files that mention it; returns its change, if any.
  std::optional<state::ObjectChange> decide(const ObjectKey& key, Entry& entry,
                                            std::vector<std::string>& fresh, bool& errors_changed);
  void candidates_in(const File& file, const ObjectKey& key, const Entry& entry,
                     std::vector<Candidate>& out, bool& rejected) const;
  void rebuild_errors();

  std::shared_ptr<const state::Snapshot> snapshot_;
  std::map<std::string, FileState> files_;  // by file name: deterministic order
  std::set<std::string> dirty_;             // set since the last commit
  std::vector<const ObjectKey*> orphaned_;  // keys of files removed since the last commit
  // Node-based: pointers to keys stay valid until the entry is erased (when no file
  // mentions it any more).
  std::unordered_map<ObjectKey, Entry, ObjectKeyHash> entries_;
  size_t serving_count_ = 0;
  std::map<ObjectKey, std::vector<std::string>> duplicate_errors_;
  std::vector<std::string> errors_;
  uint64_t commits_ = 0;
};

}  // namespace zmesh::config
