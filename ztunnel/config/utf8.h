// UTF-8 validation for config input. Kubernetes (and YAML) text is UTF-8; yaml-cpp passes
// other bytes through into strings, and one such string in the model makes every JSON dump
// of the snapshot (/config_dump, zmeshctl views) throw, so input is checked before parsing.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace zmesh::config {

// The offset of the first byte that does not start or continue a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
// nullopt when `text` is valid UTF-8.
std::optional<size_t> first_invalid_utf8(std::string_view text);

}  // namespace zmesh::config
