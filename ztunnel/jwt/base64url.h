// Base64url (RFC 4648 §5) as JOSE uses it (RFC 7515 §2): no padding, and only the canonical
// spelling of each byte string is accepted (no '=', no stray characters, unused bits zero).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zmesh::jwt {

// The bytes `text` spells; nullopt for anything but canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// The canonical unpadded base64url spelling of `bytes`.
std::string base64url_encode(std::string_view bytes);

}  // namespace zmesh::jwt
