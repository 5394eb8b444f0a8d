#include "app/bpf_metrics.h"

#include <cstdint>
#include <sstream>

namespace zmesh::app {
namespace {

std::string destination_label(const bpf::Endpoint& ep) {
  std::string addr = ep.address().to_string();
  return ep.address().is_v6() ? "[" + addr + "]:" + std::to_string(ep.port())
                              : addr + ":" + std::to_string(ep.port());
}

// The kernel's DestinationRule maxConnections per Service VIP:port (node-wide).
void render_connection_limits(const bpf::PinnedMaps& maps, std::ostringstream& out) {
  auto limits = maps.connection_limits();
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& l : limits)
      out << name << "{destination=\"" << destination_label(l.destination) << "\"} " << value(l)
          << "\n";
  };
  family("zmesh_connection_limit_rejections_total", "counter",
         "Connects refused in the kernel at a DestinationRule maxConnections",
         [](const bpf::ConnectionLimit& l) { return l.rejected; });
  family("zmesh_connection_limit_active", "gauge",
         "Connections of this node's pods holding a maxConnections slot",
         [](const bpf::ConnectionLimit& l) { return uint64_t{l.active}; });
  family("zmesh_connection_limit_max", "gauge",
         "maxConnections enforced in the kernel (0: removed, slots still held)",
         [](const bpf::ConnectionLimit& l) { return uint64_t{l.max_connections}; });
}

// Connections the kernel's identity-free L4 policy refused, per pod and policy.
void render_policy_denials(const bpf::PinnedMaps& maps, std::ostringstream& out) {
  const char* name = "zmesh_kernel_policy_denials_total";
  out << "# HELP " << name
      << " Inbound connections refused in the kernel (sk_lookup) by an identity-free policy\n"
      << "# TYPE " << name << " counter\n";
  for (const auto& d : maps.policy_denials())
    out << name << "{pod=\"" << (d.pod.empty() ? d.pod_ip.to_string() : d.pod) << "\",policy=\""
        << d.policy << "\"} " << d.denied << "\n";
}

}  // namespace

std::string render_bpf_metrics(const bpf::PinnedMaps& maps) {
  struct Family {
    const char* name;
    const char* help;
    uint64_t bpf::PodCounters::*field;
  };
  static constexpr Family kFamilies[] = {
      {"zmesh_bpf_outbound_redirected_total", "Connections redirected to ztunnel by connect4/6",
       &bpf::PodCounters::outbound_redirected},
      {"zmesh_bpf_outbound_established_total", "Redirected connections seen established",
       &bpf::PodCounters::outbound_established},
      {"zmesh_bpf_outbound_closed_total", "Redirected connections seen closed",
       &bpf::PodCounters::outbound_closed},
      {"zmesh_bpf_skipped_marked_total", "Daemon-owned (marked) sockets left alone",
       &bpf::PodCounters::skipped_marked},
      {"zmesh_bpf_inbound_steered_total", "Inbound connections steered to 15006 by sk_lookup",
       &bpf::PodCounters::inbound_steered},
  };
  auto counters = maps.counters();
  std::ostringstream out;
  for (const auto& f : kFamilies) {
    out << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " counter\n";
    for (const auto& c : counters)
      out << f.name << "{pod=\"" << (c.pod.empty() ? "unknown" : c.pod) << "\",netns_cookie=\""
          << c.netns_cookie << "\"} " << c.*(f.field) << "\n";
  }
  render_connection_limits(maps, out);
  render_policy_denials(maps, out);
  return out.str();
}

}  // namespace zmesh::app
