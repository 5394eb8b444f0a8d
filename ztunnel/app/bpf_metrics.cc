#include "app/bpf_metrics.h"

#include <cstdint>
#include <sstream>

namespace zmesh::app {

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
  return out.str();
}

}  // namespace zmesh::app
