// A decoded config object of any kind the mesh understands, and its identity. Adding a
// kind (EndpointSlice, Istio's VirtualService, ...) adds a type to state::Object and an entry in
// the kind registry; the store and sources are kind-agnostic.
#pragma once

#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "state/object.h"

namespace zmesh::config {

using Object = state::Object;
using state::meta_of;

// Identifies an object across files and updates: (kind, namespace, name).
struct ObjectKey {
  std::string kind;
  std::string namespace_;  // empty for cluster-scoped kinds
  std::string name;

  auto operator<=>(const ObjectKey&) const = default;
  // "Pod default/web-1", "Namespace prod".
  std::string display() const;
};

struct ObjectKeyHash {
  size_t operator()(const ObjectKey& key) const;
};

// One document (or List item) of a file: a valid object, or the reason it was rejected.
struct DecodedObject {
  std::optional<ObjectKey> key;          // known when kind and name could be read
  std::shared_ptr<const Object> object;  // null when rejected
  std::string error;                     // full message: "file: Kind ns/name: field.path: problem"
};

}  // namespace zmesh::config
