#include "config/object_store.h"

#include <set>

namespace zmesh::config {
namespace {

struct Candidate {
  std::shared_ptr<const Object> object;
  const std::string* file;
};

}  // namespace

void ObjectStore::set_file(const std::string& file, Result<std::vector<DecodedObject>> parsed) {
  FileState& state = files_[file];
  if (parsed.ok()) {
    state = FileState{false, "", std::move(parsed).value()};
  } else {
    // Keep the previous objects list: the store carries what this file served.
    state.parse_failed = true;
    state.parse_error = parsed.error().message;
  }
}

void ObjectStore::remove_file(const std::string& file) {
  files_.erase(file);
}

std::vector<std::string> ObjectStore::files() const {
  std::vector<std::string> out;
  for (const auto& [name, state] : files_) out.push_back(name);
  return out;
}

std::shared_ptr<const Object> ObjectStore::find(const ObjectKey& key) const {
  auto it = serving_.find(key);
  return it == serving_.end() ? nullptr : it->second.object;
}

std::vector<std::string> ObjectStore::commit() {
  std::vector<std::string> errors;
  std::map<ObjectKey, std::vector<Candidate>> candidates;
  std::map<ObjectKey, const std::string*> rejected;  // invalid now: first file rejecting it

  for (const auto& [file, state] : files_) {
    if (state.parse_failed) {
      errors.push_back(state.parse_error + " (keeping the objects it defined before)");
      for (const auto& [key, served] : serving_) {
        if (served.file == file) candidates[key].push_back({served.object, &file});
      }
      continue;
    }
    for (const auto& decoded : state.objects) {
      if (decoded.object && decoded.key) {  // decoders reject unnamed objects; never trust it
        candidates[*decoded.key].push_back({decoded.object, &file});
        continue;
      }
      errors.push_back(decoded.error);
      if (decoded.key) rejected.emplace(*decoded.key, &file);
    }
  }

  std::map<ObjectKey, Served> next;
  for (auto& [key, list] : candidates) {
    // Precedence: the file serving it now; else the first definition.
    const Candidate* owner = &list.front();
    auto current = serving_.find(key);
    if (current != serving_.end()) {
      for (const auto& c : list) {
        if (*c.file == current->second.file) {
          owner = &c;
          break;
        }
      }
    }
    for (const auto& c : list) {
      if (&c == owner) continue;
      errors.push_back(*c.file + ": " + key.display() +
                       ": metadata.name: duplicate, already defined in " + *owner->file);
    }
    next.emplace(key, Served{owner->object, *owner->file});
  }
  // A rejected object with no valid definition anywhere keeps its last good version.
  for (const auto& [key, file] : rejected) {
    if (next.count(key) != 0) continue;
    auto previous = serving_.find(key);
    if (previous != serving_.end()) next.emplace(key, Served{previous->second.object, *file});
  }
  serving_ = std::move(next);

  std::set<std::string> before(errors_.begin(), errors_.end());
  std::vector<std::string> fresh;
  for (const auto& e : errors) {
    if (before.count(e) == 0) fresh.push_back(e);
  }
  errors_ = std::move(errors);
  return fresh;
}

std::shared_ptr<const state::Snapshot> ObjectStore::build_snapshot() const {
  state::ConfigSet objects;
  for (const auto& [key, served] : serving_) {
    std::visit([&](const auto& o) { objects.add(o); }, *served.object);
  }
  return state::Snapshot::build(std::move(objects), {root_namespace_});
}

}  // namespace zmesh::config
