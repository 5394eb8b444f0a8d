// Every document of a YAML stream, as YAML::LoadAll returns them, without yaml-cpp 0.7's
// endless loop (Debian 12's version): after some malformed input, e.g. a stray `,` at the
// top level, its parser yields the same empty document forever and LoadAll appends it until
// memory runs out (jbeder/yaml-cpp#1040, fixed upstream after 0.8.0; found by tests/fuzz).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace zmesh::config {

// Throws YAML::ParserException (with the position) where the text is not YAML, including
// where a document would consume no input. Nodes carry no Mark (nothing here reads them).
std::vector<YAML::Node> load_all_documents(const std::string& text);

}  // namespace zmesh::config
