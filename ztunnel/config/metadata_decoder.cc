// decode_metadata, and the kinds that are nothing but their metadata here (Namespace,
// ServiceAccount).
#include "config/kind_decoders.h"
#include "config/validation.h"
#include "state/timestamp.h"

namespace zmesh::config {
namespace {

state::Labels read_labels(const FieldReader& field, bool check_values) {
  state::Labels labels = field.string_map();
  for (const auto& [key, value] : labels) {
    std::string path = field.path() + "[" + key + "]";
    if (auto err = qualified_name_error(key); !err.empty()) field.errors().add(path, err);
    if (!check_values) continue;
    if (auto err = label_value_error(value); !err.empty()) field.errors().add(path, err);
  }
  return labels;
}

}  // namespace

state::Labels decode_label_map(const FieldReader& field) {
  return read_labels(field, true);
}

state::ObjectMeta decode_metadata(const FieldReader& metadata, bool namespaced,
                                  std::string (*name_error)(const std::string&)) {
  state::ObjectMeta meta;
  if (namespaced) meta.namespace_ = "default";
  if (metadata.present() && !metadata.is_map()) return meta;

  FieldReader name = metadata.field("name");
  auto text = name.string();  // records a wrong type itself
  if (text) meta.name = *text;
  if (meta.name.empty()) {
    if (!name.present() || text) name.error("required");  // absent, null or ""
  } else if (auto err = name_error(meta.name); !err.empty()) {
    name.error(err);
  }

  if (namespaced) {
    FieldReader ns = metadata.field("namespace");
    meta.namespace_ = ns.string().value_or("");
    if (meta.namespace_.empty()) {
      meta.namespace_ = "default";
    } else if (auto err = dns1123_label_error(meta.namespace_); !err.empty()) {
      ns.error(err);
    }
  }

  meta.labels = read_labels(metadata.field("labels"), true);
  meta.annotations = read_labels(metadata.field("annotations"), false);
  meta.generate_name = metadata.field("generateName").string().value_or("");

  // Set by the API server; `null` in generated manifests; used for "oldest policy wins".
  FieldReader created = metadata.field("creationTimestamp");
  if (auto text = created.string()) {
    meta.creation_timestamp = state::parse_rfc3339(*text);
    if (!meta.creation_timestamp) {
      created.error(quote(*text) + " is not an RFC 3339 time (like \"2024-05-01T12:00:00Z\")");
    }
  }
  return meta;
}

Object decode_namespace(const FieldReader& /*root*/, state::ObjectMeta meta) {
  return state::Namespace{std::move(meta)};
}

Object decode_service_account(const FieldReader& /*root*/, state::ObjectMeta meta) {
  return state::ServiceAccount{std::move(meta)};
}

}  // namespace zmesh::config
