// Per-kind decoders: YAML document -> typed model object, recording every problem at its
// field path. Registered in kind_registry.cc.
#pragma once

#include "config/field_reader.h"
#include "config/object.h"

namespace zmesh::config {

// metadata: name (checked with `name_error`), namespace (default "default" when
// namespaced), labels, annotations, generateName, creationTimestamp.
state::ObjectMeta decode_metadata(const FieldReader& metadata, bool namespaced,
                                  std::string (*name_error)(const std::string&));

// A label map (metadata.labels, spec.selector): qualified-name keys, label values.
state::Labels decode_label_map(const FieldReader& field);

Object decode_namespace(const FieldReader& root, state::ObjectMeta meta);
Object decode_pod(const FieldReader& root, state::ObjectMeta meta);
Object decode_service(const FieldReader& root, state::ObjectMeta meta);
Object decode_service_account(const FieldReader& root, state::ObjectMeta meta);
Object decode_endpoint_slice(const FieldReader& root, state::ObjectMeta meta);
Object decode_virtual_service(const FieldReader& root, state::ObjectMeta meta);
Object decode_destination_rule(const FieldReader& root, state::ObjectMeta meta);
Object decode_peer_authentication(const FieldReader& root, state::ObjectMeta meta);
Object decode_authorization_policy(const FieldReader& root, state::ObjectMeta meta);
Object decode_request_authentication(const FieldReader& root, state::ObjectMeta meta);
// ConfigMap `istio`: its `mesh` key parsed (mesh_config_decoder.h), the rest dropped.
Object decode_config_map(const FieldReader& root, state::ObjectMeta meta);

}  // namespace zmesh::config
