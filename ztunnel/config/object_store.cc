#include "config/object_store.h"

#include <algorithm>

#include "config/kind_registry.h"

namespace zmesh::config {
namespace {

template <typename File>
void insert_sorted(std::vector<const File*>& files, const File* file) {
  auto pos = std::lower_bound(files.begin(), files.end(), file,
                              [](const File* a, const File* b) { return a->first < b->first; });
  if (pos == files.end() || *pos != file) files.insert(pos, file);
}

}  // namespace

void ObjectStore::set_file(const std::string& file, Result<std::vector<DecodedObject>> parsed) {
  FileState& state = files_[file];
  if (parsed.ok()) {
    state.parse_failed = false;
    state.parse_error.clear();
    state.objects = std::move(parsed).value();
    // Kinds that count only in the root namespace (ConfigMap istio): the others are not kept.
    std::erase_if(state.objects, [&](const DecodedObject& d) {
      return d.key && d.key->namespace_ != snapshot_->root_namespace() &&
             root_namespace_only(d.key->kind);
    });
  } else {
    // Keep the previous objects list: the store carries what this file served.
    state.parse_failed = true;
    state.parse_error = parsed.error().message;
  }
  dirty_.insert(file);
}

void ObjectStore::remove_file(const std::string& file) {
  auto it = files_.find(file);
  if (it == files_.end()) return;
  for (const ObjectKey* key : it->second.keys) {
    orphaned_.push_back(key);
    std::erase(entries_.at(*key).files, &*it);
  }
  files_.erase(it);
  dirty_.erase(file);
}

std::vector<std::string> ObjectStore::files() const {
  std::vector<std::string> out;
  for (const auto& [name, state] : files_) out.push_back(name);
  return out;
}

std::shared_ptr<const Object> ObjectStore::find(const ObjectKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second.object;
}

std::vector<std::string> ObjectStore::commit() {
  std::vector<std::string> fresh;
  bool errors_changed = false;
  // The keys to re-decide, in file order then document order (so messages are stable).
  std::vector<const ObjectKey*> affected = std::move(orphaned_);
  orphaned_.clear();

  for (const auto& file : dirty_) {
    auto file_it = files_.find(file);
    FileState& state = file_it->second;
    const File* name = &*file_it;
    std::vector<const ObjectKey*> keys;
    std::vector<std::string> errors;
    if (state.parse_failed) {
      keys = state.keys;  // it still stands for what it defined before
      errors.push_back(state.parse_error + " (keeping the objects it defined before)");
    } else {
      for (const auto& decoded : state.objects) {
        if (decoded.key) keys.push_back(&entries_.try_emplace(*decoded.key).first->first);
        // Decoders reject unnamed objects; never trust it.
        if (!decoded.object || !decoded.key) errors.push_back(decoded.error);
      }
    }
    for (const ObjectKey* key : state.keys) {
      std::erase(entries_.at(*key).files, name);
      affected.push_back(key);
    }
    for (const ObjectKey* key : keys) {
      insert_sorted(entries_.at(*key).files, name);
      affected.push_back(key);
    }
    for (const auto& e : errors) {
      if (std::find(state.errors.begin(), state.errors.end(), e) == state.errors.end())
        fresh.push_back(e);
    }
    errors_changed = errors_changed || errors != state.errors;
    state.keys = std::move(keys);
    state.errors = std::move(errors);
  }
  dirty_.clear();

  std::vector<state::ObjectChange> changes;
  const uint64_t commit = ++commits_;
  std::vector<const ObjectKey*> gone;
  for (const ObjectKey* key : affected) {
    auto it = entries_.find(*key);
    if (it->second.seen == commit) continue;
    it->second.seen = commit;
    if (auto change = decide(it->first, it->second, fresh, errors_changed)) {
      changes.push_back(std::move(*change));
    }
    if (it->second.files.empty() && !it->second.object) gone.push_back(key);
  }
  // Entries no file mentions any more go (after the loop: `affected` points at them).
  for (const ObjectKey* key : gone) entries_.erase(*key);
  if (errors_changed) rebuild_errors();
  if (!changes.empty()) snapshot_ = snapshot_->with(changes);
  return fresh;
}

void ObjectStore::candidates_in(const File& file, const ObjectKey& key, const Entry& entry,
                                std::vector<Candidate>& out, bool& rejected) const {
  const FileState& state = file.second;
  if (state.parse_failed) {
    if (entry.object && entry.owner == &file.first) out.push_back({entry.object, &file.first});
    return;
  }
  for (const auto& decoded : state.objects) {
    if (!decoded.key || *decoded.key != key) continue;
    if (decoded.object) {
      out.push_back({decoded.object, &file.first});
    } else {
      rejected = true;
    }
  }
}

std::optional<state::ObjectChange> ObjectStore::decide(const ObjectKey& key, Entry& entry,
                                                       std::vector<std::string>& fresh,
                                                       bool& errors_changed) {
  std::vector<Candidate> candidates;
  const std::string* rejected_in = nullptr;  // first file rejecting it
  for (const File* file : entry.files) {
    bool rejected = false;
    candidates_in(*file, key, entry, candidates, rejected);
    if (rejected && rejected_in == nullptr) rejected_in = &file->first;
  }

  std::shared_ptr<const Object> before = entry.object;
  std::vector<std::string> duplicates;
  if (!candidates.empty()) {
    // Precedence: the file serving it now; else the first definition.
    const Candidate* owner = &candidates.front();
    if (before) {
      for (const auto& c : candidates) {
        if (c.file == entry.owner) {
          owner = &c;
          break;
        }
      }
    }
    for (const auto& c : candidates) {
      if (&c == owner) continue;
      duplicates.push_back(*c.file + ": " + key.display() +
                           ": metadata.name: duplicate, already defined in " + *owner->file);
    }
    entry.object = owner->object;
    entry.owner = owner->file;
  } else if (rejected_in != nullptr && before) {
    // Rejected with no valid definition anywhere: its last good version keeps serving.
    entry.owner = rejected_in;
  } else {
    entry.object = nullptr;
    entry.owner = nullptr;
  }
  serving_count_ += (entry.object != nullptr) - (before != nullptr);

  auto old = duplicate_errors_.find(key);
  if (old != duplicate_errors_.end() || !duplicates.empty()) {
    for (const auto& d : duplicates) {
      if (old == duplicate_errors_.end() ||
          std::find(old->second.begin(), old->second.end(), d) == old->second.end())
        fresh.push_back(d);
    }
    if (old == duplicate_errors_.end() || old->second != duplicates) errors_changed = true;
    if (duplicates.empty()) {
      duplicate_errors_.erase(old);
    } else {
      duplicate_errors_[key] = std::move(duplicates);
    }
  }

  if (before == entry.object) return std::nullopt;
  return state::ObjectChange{before, entry.object};
}

void ObjectStore::rebuild_errors() {
  errors_.clear();
  for (const auto& [file, state] : files_) {
    errors_.insert(errors_.end(), state.errors.begin(), state.errors.end());
  }
  for (const auto& [key, duplicates] : duplicate_errors_) {
    errors_.insert(errors_.end(), duplicates.begin(), duplicates.end());
  }
}

}  // namespace zmesh::config
