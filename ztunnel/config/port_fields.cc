#include "config/port_fields.h"

#include "config/validation.h"

namespace zmesh::config {

std::optional<uint16_t> read_port(const FieldReader& field, bool required) {
  if (!field.present()) {
    if (required) field.error("required");
    return std::nullopt;
  }
  auto value = field.integer();
  if (!value) return std::nullopt;
  if (*value < 1 || *value > 65535) {
    field.error("must be 1-65535");
    return std::nullopt;
  }
  return static_cast<uint16_t>(*value);
}

std::string read_protocol(const FieldReader& field) {
  auto protocol = field.string().value_or("");
  if (protocol.empty()) return "TCP";
  if (auto err = protocol_error(protocol); !err.empty()) field.error(err);
  return protocol;
}

}  // namespace zmesh::config
