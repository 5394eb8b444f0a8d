// networking.istio.io VirtualService (v1, v1beta1, v1alpha3 share one schema): decoding and
// Istio's validation (pkg/config/validation ValidateVirtualService), errors at field paths.
// http[] routes are in http_route_decoder.cc.
#include "config/http_route_decoder.h"
#include "config/istio_fields.h"
#include "config/kind_decoders.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// validateSniHost: a domain (an IP is only warned about) within one of the hosts.
void check_sni_host(const FieldReader& item, const std::string& sni,
                    const std::vector<std::string>& hosts) {
  if (auto e = wildcard_domain_error(sni); !e.empty()) {
    if (!parse_ip(sni)) item.error(e);
    return;
  }
  for (const auto& host : hosts) {
    if (host_subset_of(sni, host)) return;
  }
  item.error("SNI host " + quote(sni) +
             " is not a compatible subset of any of the virtual service hosts: [" + join(hosts) +
             "]");
}

// L4MatchAttributes (tcp) and TLSMatchAttributes (tls, with sniHosts).
state::L4Match decode_l4_match(const FieldReader& m, bool tls,
                               const std::vector<std::string>& hosts) {
  state::L4Match out;
  if (!m.is_map()) return out;
  if (tls) {
    FieldReader sni = m.field("sniHosts");
    sni.each([&](const FieldReader& item) {
      auto host = item.string();
      if (!host) return;
      check_sni_host(item, *host, hosts);
      out.sni_hosts.push_back(*host);
    });
    if (out.sni_hosts.empty() && sni.size() == 0) {
      sni.error("TLS match must have at least one SNI host");
    }
  } else {
    out.source_subnet = m.field("sourceSubnet").string().value_or("");
  }
  out.destination_subnets = read_subnets(m.field("destinationSubnets"));
  out.port = read_port_number(m.field("port"));
  FieldReader labels = m.field("sourceLabels");
  if (labels.present()) out.source_labels = decode_label_map(labels);
  out.gateways = read_gateway_names(m.field("gateways"));
  FieldReader ns = m.field("sourceNamespace");
  out.source_namespace = ns.string().value_or("");
  if (!out.source_namespace.empty() && !dns1123_label_error(out.source_namespace).empty()) {
    ns.error("sourceNamespace match " + quote(out.source_namespace) + " is invalid");
  }
  return out;
}

state::L4Route decode_l4_route(const FieldReader& f, bool tls,
                               const std::vector<std::string>& hosts) {
  state::L4Route out;
  if (!f.is_map()) return out;
  FieldReader match = f.field("match");
  match.each([&](const FieldReader& m) { out.match.push_back(decode_l4_match(m, tls, hosts)); });
  if (tls && match.size() == 0) match.error("TLS route must have at least one match condition");
  FieldReader route = f.field("route");
  out.route = decode_route_destinations(route);
  if (route.size() == 0) route.error(tls ? "TLS route is required" : "TCP route is required");
  return out;
}

void decode_hosts(const FieldReader& field, bool applies_to_mesh, state::VirtualService& vs) {
  field.each([&](const FieldReader& item) {
    auto host = item.string();
    if (!host) return;
    vs.hosts.push_back(*host);
    if (auto e = wildcard_domain_error(*host); !e.empty()) {
      if (!parse_ip(*host)) item.error(e);
    } else if (applies_to_mesh && *host == "*") {
      item.error("wildcard host * is not allowed for virtual services bound to the mesh gateway");
    }
  });
}

}  // namespace

Object decode_virtual_service(const FieldReader& root, state::ObjectMeta meta) {
  state::VirtualService vs;
  vs.meta = std::move(meta);
  FieldReader spec = root.field("spec");
  if (spec.present() && !spec.is_map()) return vs;

  FieldReader gateways = spec.field("gateways");
  vs.gateways = read_gateway_names(gateways);
  bool applies_to_mesh = vs.gateways.empty();
  for (const auto& g : vs.gateways) applies_to_mesh |= g == "mesh";
  decode_hosts(spec.field("hosts"), applies_to_mesh, vs);
  // No hosts: a delegate, only used through another VirtualService's http[].delegate.
  bool delegate = vs.hosts.empty();

  spec.field("http").each(
      [&](const FieldReader& http) { vs.http.push_back(decode_http_route(http, delegate)); });
  FieldReader tls = spec.field("tls");
  tls.each([&](const FieldReader& r) { vs.tls.push_back(decode_l4_route(r, true, vs.hosts)); });
  FieldReader tcp = spec.field("tcp");
  tcp.each([&](const FieldReader& r) { vs.tcp.push_back(decode_l4_route(r, false, vs.hosts)); });
  vs.export_to = read_export_to(spec.field("exportTo"), vs.meta.namespace_, false);

  if (delegate) {
    if (!vs.gateways.empty())
      gateways.error("delegate virtual service must have no gateways specified");
    if (!vs.tls.empty()) tls.error("delegate virtual service must have no tls route specified");
    if (!vs.tcp.empty()) tcp.error("delegate virtual service must have no tcp route specified");
  }
  if (vs.http.empty() && vs.tcp.empty() && vs.tls.empty()) {
    spec.error("http, tcp or tls must be provided in virtual service");
  }
  return vs;
}

}  // namespace zmesh::config
