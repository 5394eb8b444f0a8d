// Standard base64 (RFC 4648, padding optional, whitespace ignored): kubeconfig *-data fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zmesh::kube {

// nullopt when `text` holds anything but the base64 alphabet, '=' padding and whitespace.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace zmesh::kube
