#include "rbac/inbound_decision.h"

namespace zmesh::rbac {
namespace {

// Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; policies name them as IPv4.
state::IpAddress unmapped(state::IpAddress a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

ConnectionView connection_view(const boost::asio::ip::tcp::endpoint& src,
                               const boost::asio::ip::tcp::endpoint& dst,
                               const identity::SpiffeId* source) {
  ConnectionView view;
  view.src_ip = unmapped(src.address());
  if (source) view.source = *source;
  view.dst_ip = unmapped(dst.address());
  view.dst_port = dst.port();
  return view;
}

std::optional<Decision> authorize_inbound(const state::Snapshot& snapshot,
                                          const state::Workload& destination,
                                          const ConnectionView& view) {
  const auto& all = snapshot.authz_policies();
  if (all.empty()) return std::nullopt;
  auto applicable = snapshot.authz_policies_for(destination, view.dst_port);
  if (applicable.empty()) return std::nullopt;
  return authorize(applicable, view);
}

std::optional<std::string> recheck_denial(const state::Snapshot& snapshot,
                                          const state::Workload& destination,
                                          const ConnectionView& view) {
  if (!view.source && snapshot.mtls_mode(destination, view.dst_port) == state::MtlsMode::kStrict)
    return "PeerAuthentication STRICT refuses plaintext";
  const auto& all = snapshot.authz_policies();
  if (all.empty()) return std::nullopt;
  auto applicable = snapshot.authz_policies_for(destination, view.dst_port);
  if (applicable.empty()) return std::nullopt;
  auto decision = enforce(applicable, view);
  if (decision.allowed) return std::nullopt;
  return decision.reason;
}

}  // namespace zmesh::rbac
