// Typed, path-tracking access to a YAML node. Every accessor checks the node's type first:
// a wrong type (a list where a map is expected, a quoted number, a map where a string is
// expected) records an error at the field path and reads as absent, so decoders never see
// a yaml-cpp exception. Scalars follow what the Kubernetes API server would accept from
// kubectl: YAML 1.1 plain scalars that resolve to numbers/bools/null are not strings.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/field_errors.h"
#include "state/model.h"

namespace zmesh::config {

class FieldReader {
 public:
  // A missing map key is a yaml-cpp "zombie" node whose type queries throw: it becomes a
  // plain undefined node.
  FieldReader(const YAML::Node& node, std::string path, FieldErrors& errors)
      : node_(node.IsDefined() ? node : YAML::Node(YAML::NodeType::Undefined)),
        path_(std::move(path)),
        errors_(&errors) {}
  FieldReader(const FieldReader&) = default;
  // YAML::Node's assignment assigns *into* the referenced node (and throws on zombies).
  FieldReader& operator=(const FieldReader&) = delete;

  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  FieldErrors& errors() const { return *errors_; }
  void error(std::string message) const { errors_->add(path_, std::move(message)); }

  bool present() const { return node_.IsDefined() && !node_.IsNull(); }

  // True when the node is a map; records an error when present with another type.
  bool is_map() const;
  // The child at `key` ("a.b"); absent when this is not a map.
  FieldReader field(std::string_view key) const;

  // Items when the node is a list, else 0.
  size_t size() const { return node_.IsSequence() ? node_.size() : 0; }

  // A plain integer scalar (no error recorded either way): for int-or-string fields.
  bool is_integer() const;

  std::optional<std::string> string() const;
  std::optional<int64_t> integer() const;
  std::optional<bool> boolean() const;
  // A map of strings (labels, selectors, annotations); wrong entries are recorded, skipped.
  state::Labels string_map() const;

  // Calls fn(FieldReader) for each item of a list ("path[i]"); records an error when present
  // and not a list.
  template <typename Fn>
  void each(Fn&& fn) const {
    if (!present()) return;
    if (!node_.IsSequence()) {
      error("must be a list, got " + type_name());
      return;
    }
    for (size_t i = 0; i < node_.size(); ++i) {
      fn(FieldReader(node_[i], path_ + "[" + std::to_string(i) + "]", *errors_));
    }
  }

  // "a list", "an object", "a number 1.5", ... for error messages.
  std::string type_name() const;

 private:
  YAML::Node node_;
  std::string path_;
  FieldErrors* errors_;
};

}  // namespace zmesh::config
