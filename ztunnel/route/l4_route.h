// VirtualService tcp[] and tls[] routes (L4MatchAttributes, TLSMatchAttributes) for
// connections that stay byte streams:
// first route whose match list has an entry matching the connection, fields AND-ed, entries
// OR-ed; a route without match entries matches every connection. The chosen route's weighted
// destination is then drawn with WeightedPicker's rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "state/model.h"
#include "state/virtual_service.h"

namespace zmesh::route {

struct L4Facts {
  state::IpAddress destination;  // the address the app dialed (Service VIP)
  uint16_t port = 0;             // the port it dialed
  const state::Labels* source_labels = nullptr;
  std::string_view source_namespace;
  std::optional<std::string_view> sni;  // the ClientHello's server name (tls[] routes)
};

// sniHosts: an exact name, or "*.example.com" for any name below example.com (not the bare
// domain), "*" for all; case-insensitive (the SNI is lower-cased when parsed).
bool sni_matches(const std::vector<std::string>& hosts, std::string_view sni);

// gateways: empty or naming "mesh" applies to the node proxy; anything else is a gateway's.
// An entry with sniHosts (tls[]) needs the connection's SNI to match one of them.
bool l4_matches(const state::L4Match& match, const L4Facts& facts);

// The index of the first matching route; nullopt when none matches (the connection then goes
// to the Service it dialed, as Istio's default TCP route does).
std::optional<size_t> select_l4_route(const std::vector<state::L4Route>& routes,
                                      const L4Facts& facts);

// The destination index of `route` for `random` (weights need not sum to 100; a single
// destination always wins). nullopt for no destination or all weights 0.
std::optional<size_t> pick_l4_destination(const state::L4Route& route, uint64_t random);

}  // namespace zmesh::route
