// The kinds a config source decodes, by API group and kind, with the versions accepted.
// Objects of kinds not listed here are ignored.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "config/field_reader.h"
#include "config/object.h"

namespace zmesh::config {

struct KindInfo {
  std::string_view group;  // "" for the core API ("v1")
  std::string_view kind;
  std::vector<std::string_view> versions;
  bool namespaced = true;
  // Validates metadata.name; returns the problem or "".
  std::string (*name_error)(const std::string& name) = nullptr;
  // Decodes the rest of the document (metadata already decoded into `meta`); problems go
  // to root.errors().
  Object (*decode)(const FieldReader& root, state::ObjectMeta meta) = nullptr;
  // When set, only the object of this name is read; others of the kind are skipped like
  // unknown kinds (and a Kubernetes source watches only it: fieldSelector metadata.name).
  std::string_view only_name = {};
  // Only the object in Istio's root namespace is kept (ObjectStore drops the others).
  bool root_namespace_only = false;
};

// Every kind the mesh understands (what a Kubernetes source lists and watches).
std::span<const KindInfo> known_kinds();

// nullptr when the kind is not one the mesh understands.
const KindInfo* find_kind(std::string_view group, std::string_view kind);

// Whether objects of `kind` ("ConfigMap") count only in the root namespace.
bool root_namespace_only(std::string_view kind);

}  // namespace zmesh::config
