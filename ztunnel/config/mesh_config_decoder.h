// Istio's meshConfig YAML (the `mesh` key of ConfigMap `istio`) -> state::MeshConfig, read as
// istiod reads it (pkg/config/mesh ApplyMeshConfig): Istio's defaults for what is unset, the
// built-in extension providers replaced by name or extended, unknown fields ignored, field
// names in camelCase or as in the proto (snake_case), integers also as quoted strings (proto
// JSON). Validation follows Istio's ValidateMeshConfig for the fields read here, but a bad
// extension provider is an error (Istio only warns), so that it never serves half-read.
#pragma once

#include <string>

#include "common/result.h"
#include "config/field_reader.h"
#include "state/mesh_config.h"

namespace zmesh::config {

// Reads a meshConfig document at `root`; problems go to root.errors() at field paths below it.
state::MeshConfig decode_mesh_config(const FieldReader& root);

// Parses `yaml_text` as a meshConfig. An error names every problem as
// "<where> extensionProviders[1].envoyExtAuthzHttp.port: must be 1-65535, got 0", joined by
// "; " (`where` alone, then ": ", for a problem of the whole document).
Result<state::MeshConfig> parse_mesh_config(const std::string& yaml_text, const std::string& where);

}  // namespace zmesh::config
