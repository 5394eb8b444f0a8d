#include "route/l4_route.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "route/weighted_picker.h"
#include "state/security_common.h"

namespace zmesh::route {
namespace {

bool for_mesh(const std::vector<std::string>& gateways) {
  return gateways.empty() || std::find(gateways.begin(), gateways.end(), "mesh") != gateways.end();
}

bool in_subnets(const std::vector<std::string>& subnets, const state::IpAddress& ip) {
  if (subnets.empty()) return true;
  return std::any_of(subnets.begin(), subnets.end(), [&](const std::string& text) {
    auto block = state::IpBlock::parse(text);
    return block && block->contains(ip);
  });
}

bool labels_match(const state::Labels& wanted, const state::Labels* labels) {
  if (wanted.empty()) return true;
  if (!labels) return false;
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& kv) {
    auto it = labels->find(kv.first);
    return it != labels->end() && it->second == kv.second;
  });
}

}  // namespace

bool sni_matches(const std::vector<std::string>& hosts, std::string_view sni) {
  return std::any_of(hosts.begin(), hosts.end(), [&](const std::string& raw) {
    std::string h = raw;
    std::transform(h.begin(), h.end(), h.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (h == "*") return true;
    if (h.rfind("*.", 0) == 0) {
      std::string_view suffix = std::string_view(h).substr(1);  // ".example.com"
      return sni.size() > suffix.size() && sni.substr(sni.size() - suffix.size()) == suffix;
    }
    return sni == h;
  });
}

bool l4_matches(const state::L4Match& m, const L4Facts& f) {
  if (!for_mesh(m.gateways)) return false;
  if (!m.sni_hosts.empty() && !(f.sni && sni_matches(m.sni_hosts, *f.sni))) return false;
  if (m.port && *m.port != f.port) return false;
  if (!in_subnets(m.destination_subnets, f.destination)) return false;
  if (!labels_match(m.source_labels, f.source_labels)) return false;
  if (!m.source_namespace.empty() && m.source_namespace != f.source_namespace) return false;
  return true;
}

std::optional<size_t> select_l4_route(const std::vector<state::L4Route>& routes,
                                      const L4Facts& facts) {
  for (size_t i = 0; i < routes.size(); ++i) {
    const auto& match = routes[i].match;
    if (match.empty() || std::any_of(match.begin(), match.end(),
                                     [&](const state::L4Match& m) { return l4_matches(m, facts); }))
      return i;
  }
  return std::nullopt;
}

std::optional<size_t> pick_l4_destination(const state::L4Route& route, uint64_t random) {
  std::vector<int32_t> weights;
  weights.reserve(route.route.size());
  for (const auto& d : route.route) weights.push_back(d.weight);
  return WeightedPicker(std::span<const int32_t>(weights)).pick(random);
}

}  // namespace zmesh::route
