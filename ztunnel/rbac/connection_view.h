// What L4 authorization knows about one inbound connection: the peer's address and, under
// mutual TLS, its proven identity; the original destination. Nothing else is available to
// ztunnel, so AuthorizationPolicy is enforced on these attributes only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "identity/spiffe_id.h"
#include "state/model.h"

namespace zmesh::rbac {

struct ConnectionView {
  state::IpAddress src_ip;
  std::optional<identity::SpiffeId> source;  // nullopt: plaintext, no peer identity
  state::IpAddress dst_ip;
  uint16_t dst_port = 0;

  // Istio's principal form, "<td>/ns/<ns>/sa/<sa>" (no spiffe://); empty for plaintext.
  std::string principal() const {
    if (!source) return {};
    return source->trust_domain + "/ns/" + source->namespace_ + "/sa/" + source->service_account;
  }
  // The namespace taken from the principal; empty for plaintext.
  std::string source_namespace() const { return source ? source->namespace_ : std::string(); }
};

}  // namespace zmesh::rbac
