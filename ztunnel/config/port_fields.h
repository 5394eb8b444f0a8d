// Port-valued fields shared by the Pod and Service decoders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/field_reader.h"

namespace zmesh::config {

// An integer in 1..65535 ("must be 1-65535"); "required" when absent and `required`.
std::optional<uint16_t> read_port(const FieldReader& field, bool required);

// protocol: TCP (default), UDP or SCTP.
std::string read_protocol(const FieldReader& field);

}  // namespace zmesh::config
