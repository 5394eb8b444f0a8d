// Decodes one file of Kubernetes YAML (multi-document, `kind: List` allowed) into objects
// of the kinds in the registry, each validated on its own. Kinds the mesh does not know are
// skipped (debug log).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "config/object.h"

namespace zmesh::config {

// Larger files or objects are refused whole (a config file is never this big).
inline constexpr size_t kMaxYamlBytes = 64 << 20;

// `file` names the file in error messages ("pods.yaml"); `source` prefixes each object's
// meta.source ("/etc/zmesh/pods.yaml" -> "/etc/zmesh/pods.yaml#2"). An Error means the
// file is not YAML at all; a rejected object is a DecodedObject with an error.
// `first_document`: the number of the text's first document (when it is part of a file).
Result<std::vector<DecodedObject>> parse_yaml(const std::string& text, const std::string& file,
                                              const std::string& source, size_t first_document = 1);

// One object as JSON or YAML text, e.g. from the Kubernetes API (yaml-cpp reads JSON, and a
// quoted "80" stays a string as in YAML): no List, no multi-document. `unit` prefixes error
// messages as `file` does above; `source` is the object's meta.source as is. Zero objects
// when the kind is not one the mesh knows.
Result<std::vector<DecodedObject>> parse_object(const std::string& text, const std::string& unit,
                                                const std::string& source);

}  // namespace zmesh::config
