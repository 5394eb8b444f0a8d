// Human rendering of the daemon's status (see control.h for its fields). Tolerates missing
// or extra fields and both camelCase and snake_case keys, so an older or newer daemon
// still prints something useful.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::zmeshctl {

// A copy of the first of `keys` present in `j`, or null.
nlohmann::json field(const nlohmann::json& j, std::initializer_list<const char*> keys);

// `status` is the reply's "status" object (or the reply itself from an older daemon).
std::string render_status(const nlohmann::json& status);

}  // namespace zmesh::zmeshctl
