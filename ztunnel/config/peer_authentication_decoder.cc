// security.istio.io PeerAuthentication (v1 and v1beta1 share one schema). Validation is
// Istio's (pkg/config/validation ValidatePeerAuthentication) plus the CRD's schema.
#include <charconv>
#include <set>

#include "config/kind_decoders.h"

namespace zmesh::config {
namespace {

// MutualTLS {mode}: an absent mode is UNSET (inherit from the parent level).
state::MtlsMode decode_mutual_tls(const FieldReader& mtls) {
  if (!mtls.is_map()) return state::MtlsMode::kUnset;
  FieldReader mode = mtls.field("mode");
  auto text = mode.string();  // records a wrong type itself
  if (!text) return state::MtlsMode::kUnset;
  if (auto m = state::parse_mtls_mode(*text)) return *m;
  mode.error(quote(*text) + " is not a valid mode (UNSET, DISABLE, PERMISSIVE or STRICT)");
  return state::MtlsMode::kUnset;
}

// A map key as a port: decimal digits (a YAML int or a quoted string), 1-65535.
std::optional<uint32_t> port_key(const std::string& text) {
  uint32_t port = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

void decode_port_level(const FieldReader& field, state::PeerAuthentication& pa) {
  if (!field.is_map()) return;
  if (field.node().size() == 0) {
    field.error("must list at least one port");
    return;
  }
  std::set<uint32_t> seen;
  for (const auto& entry : field.node()) {
    if (!entry.first.IsScalar()) {
      field.error("keys must be port numbers, got " +
                  FieldReader(entry.first, "", field.errors()).type_name());
      continue;
    }
    const std::string& key = entry.first.Scalar();
    FieldReader value(entry.second, field.path() + "[" + key + "]", field.errors());
    auto port = port_key(key);
    if (!port) {
      value.error("key must be a port number 1-65535");
      continue;
    }
    if (!seen.insert(*port).second) {
      value.error("duplicate port " + std::to_string(*port));
      continue;
    }
    if (!value.present()) {
      value.error("must be an object, got null");  // the CRD's type: object, not nullable
      continue;
    }
    if (value.is_map()) pa.port_level[*port] = decode_mutual_tls(value);
  }
}

}  // namespace

Object decode_peer_authentication(const FieldReader& root, state::ObjectMeta meta) {
  state::PeerAuthentication pa;
  pa.meta = std::move(meta);
  FieldReader spec = root.field("spec");
  if (!spec.is_map()) return pa;  // no spec: a namespace (or mesh) policy, mode UNSET

  FieldReader selector = spec.field("selector");
  if (selector.is_map()) pa.selector = decode_label_map(selector.field("matchLabels"));
  pa.mode = decode_mutual_tls(spec.field("mtls"));

  FieldReader port_level = spec.field("portLevelMtls");
  decode_port_level(port_level, pa);
  // Only a workload policy may set ports (the CRD's "portLevelMtls requires selector").
  if (port_level.present() && (!pa.selector || pa.selector->empty())) {
    port_level.error(
        "requires spec.selector.matchLabels: a mesh or namespace policy cannot have port-level "
        "mTLS");
  }
  return pa;
}

}  // namespace zmesh::config
