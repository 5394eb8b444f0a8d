// Value types shared by the security.istio.io kinds (AuthorizationPolicy, RequestAuthentication).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "state/model.h"

namespace zmesh::state {

// An ipBlocks entry (or a source.ip / destination.ip condition value): a CIDR range, or a
// single address (a full-length prefix), as Istio's security.ValidateIPs accepts them
// (Go's netip.ParsePrefix / ParseAddr). Host bits may be set ("10.1.2.3/16"), as in Go.
struct IpBlock {
  IpAddress address;
  uint8_t prefix_len = 0;

  // "10.0.0.0/8" or "1.2.3.4" / "1.2.3.4/32"; nullopt when neither.
  static std::optional<IpBlock> parse(const std::string& text);
  bool contains(const IpAddress& ip) const;  // false across families
  // The address alone for a full-length prefix, else "address/len".
  std::string to_string() const;

  bool operator==(const IpBlock&) const = default;
};

// The `istio.io/dry-run` annotation: an ALLOW or DENY policy that is only evaluated for
// logs and metrics, never enforced.
inline constexpr const char* kDryRunAnnotation = "istio.io/dry-run";

}  // namespace zmesh::state
