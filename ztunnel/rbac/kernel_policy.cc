#include "rbac/kernel_policy.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <variant>

#include "rbac/authorize.h"
#include "rbac/policy_match.h"

namespace zmesh::rbac {
namespace {

using state::IpAddress;
using state::IpBlock;

// A field and its not-form, as field_holds combines them: some `in` value holds (or none is
// given) and no `not_in` value holds.
template <typename T>
struct Match {
  std::vector<T> in;
  std::vector<T> not_in;
};
// Clauses ANDed, matches of a clause ORed. No clause: holds everywhere.
template <typename T>
using Condition = std::vector<std::vector<Match<T>>>;

struct Rect {
  Condition<IpBlock> sources;
  Condition<uint16_t> ports;
};
struct Never {};  // a rule that can never match (every match of a clause empty)
using Compiled = std::variant<Rect, Never, std::string>;  // string: why not compiled

bool has_identity(const state::AuthzSource& s) {
  return !s.principals.empty() || !s.not_principals.empty() || !s.namespaces.empty() ||
         !s.not_namespaces.empty() || !s.service_accounts.empty() ||
         !s.not_service_accounts.empty();
}

template <typename T, typename Parse>
std::optional<Match<T>> when_match(const state::AuthzCondition& c, Parse parse) {
  Match<T> m;
  for (const auto& v : c.values)
    if (auto p = parse(v)) m.in.push_back(*p);
  for (const auto& v : c.not_values)
    if (auto p = parse(v)) m.not_in.push_back(*p);
  // Values that do not convert are dropped (as istiod does); none left: never matches.
  if (m.in.empty() && m.not_in.empty()) return std::nullopt;
  return m;
}

std::optional<uint16_t> parse_port(const std::string& text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

// A rule as policy_match evaluates it for a plaintext connection, if it names only source
// addresses and destination ports.
Compiled compile_rule(const state::AuthzRule& rule) {
  if (has_http_attributes(rule)) return std::string("names HTTP attributes");
  Rect rect;
  if (!rule.from.empty()) {
    std::vector<Match<IpBlock>> clause;
    for (const auto& s : rule.from) {
      if (has_identity(s)) return std::string("names a source identity");
      if (s.ip_blocks.empty() && s.not_ip_blocks.empty()) continue;  // empty: skipped
      clause.push_back({s.ip_blocks, s.not_ip_blocks});
    }
    if (clause.empty()) return Never{};
    rect.sources.push_back(std::move(clause));
  }
  if (!rule.to.empty()) {
    std::vector<Match<uint16_t>> clause;
    for (const auto& op : rule.to) {
      if (op.ports.empty() && op.not_ports.empty()) continue;
      clause.push_back({op.ports, op.not_ports});
    }
    if (clause.empty()) return Never{};
    rect.ports.push_back(std::move(clause));
  }
  for (const auto& c : rule.when) {
    if (c.key == "source.ip") {
      auto m = when_match<IpBlock>(c, IpBlock::parse);
      if (!m) return Never{};
      rect.sources.push_back({std::move(*m)});
    } else if (c.key == "destination.port") {
      auto m = when_match<uint16_t>(c, parse_port);
      if (!m) return Never{};
      rect.ports.push_back({std::move(*m)});
    } else {
      return "when " + c.key;
    }
  }
  return rect;
}

template <typename T, typename Holds>
bool condition_holds(const Condition<T>& condition, Holds holds) {
  return std::all_of(condition.begin(), condition.end(), [&](const std::vector<Match<T>>& clause) {
    return std::any_of(clause.begin(), clause.end(), [&](const Match<T>& m) {
      if (!m.in.empty() && std::none_of(m.in.begin(), m.in.end(), holds)) return false;
      return std::none_of(m.not_in.begin(), m.not_in.end(), holds);
    });
  });
}

IpBlock masked(const IpBlock& b) {
  if (b.address.is_v4()) {
    uint32_t mask = b.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - b.prefix_len);
    return {boost::asio::ip::address_v4(b.address.to_v4().to_uint() & mask), b.prefix_len};
  }
  auto bytes = b.address.to_v6().to_bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    int keep = std::clamp(static_cast<int>(b.prefix_len) - static_cast<int>(i) * 8, 0, 8);
    bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return {boost::asio::ip::address_v6(bytes), b.prefix_len};
}

// Whether `block` holds for the addresses whose longest prefix among the pod's is `at`:
// `block` is one of them, so it holds exactly when it contains `at`.
bool block_covers(const IpBlock& block, const IpBlock& at) {
  return block.prefix_len <= at.prefix_len && block.contains(at.address);
}

bool prefix_less(const IpBlock& a, const IpBlock& b) {
  if (a.address.is_v4() != b.address.is_v4()) return a.address.is_v4();
  if (a.address != b.address) return a.address < b.address;
  return a.prefix_len < b.prefix_len;
}

struct Slots {
  std::vector<Rect> rects;
  std::vector<std::string> policies;
};

void collect_blocks(const Condition<IpBlock>& c, std::vector<IpBlock>& out) {
  for (const auto& clause : c)
    for (const auto& m : clause) {
      for (const auto& b : m.in) out.push_back(masked(b));
      for (const auto& b : m.not_in) out.push_back(masked(b));
    }
}

void collect_ports(const Condition<uint16_t>& c, std::set<uint16_t>& out) {
  for (const auto& clause : c)
    for (const auto& m : clause) {
      out.insert(m.in.begin(), m.in.end());
      out.insert(m.not_in.begin(), m.not_in.end());
    }
}

uint64_t slots_at_port(const Slots& slots, uint16_t port) {
  uint64_t mask = 0;
  for (size_t i = 0; i < slots.rects.size(); ++i)
    if (condition_holds(slots.rects[i].ports, [&](uint16_t p) { return p == port; }))
      mask |= uint64_t{1} << i;
  return mask;
}

uint64_t slots_at_prefix(const Slots& slots, const IpBlock& at) {
  uint64_t mask = 0;
  for (size_t i = 0; i < slots.rects.size(); ++i)
    if (condition_holds(slots.rects[i].sources,
                        [&](const IpBlock& b) { return block_covers(b, at); }))
      mask |= uint64_t{1} << i;
  return mask;
}

// Every port named by a PeerAuthentication's portLevelMtls: elsewhere a workload's mode is
// the same on every port.
std::set<uint16_t> port_level_ports(const state::Snapshot& snapshot) {
  std::set<uint16_t> out;
  for (const auto& pa : snapshot.peer_authentications())
    for (const auto& [port, mode] : pa.port_level)
      if (port > 0 && port <= 65535) out.insert(static_cast<uint16_t>(port));
  return out;
}

std::optional<KernelPodPolicy> compile_pod(const state::Snapshot& snapshot,
                                           const state::Workload& w,
                                           const std::set<uint16_t>& mtls_ports) {
  KernelPodPolicy out;
  out.pod = w.uid;
  Slots deny, allow;
  bool allow_list = false;
  const auto& all = snapshot.authz_policies();
  auto applicable =
      all.empty() ? state::ApplicablePolicies{} : all.policies_for(w.namespace_, w.labels);
  // Policies attached to a Service hold on that Service's ports only: never compiled (the
  // kernel's slots are per pod), and an ALLOW among them leaves the allow list to the daemon.
  const auto with_services =
      all.empty() ? state::ApplicablePolicies{} : snapshot.authz_policies_for(w);
  const bool service_allow = with_services.allow.size() != applicable.allow.size();
  for (const auto* list : {&with_services.deny, &with_services.allow})
    for (const auto* p : *list)
      if (!p->selects_workloads())
        out.left_to_daemon.push_back(policy_key(*p) + ": attached to a Service (its ports only)");
  if (decided_per_request(snapshot, w, with_services)) {
    out.left_to_daemon.push_back(
        "AuthorizationPolicy decided per request on HTTP ports (an HTTP attribute or a "
        "RequestAuthentication): a denied request is answered 403, not reset");
    applicable = {};
  }
  {
    for (const auto* p : applicable.deny) {
      for (const auto& rule : p->rules) {
        auto compiled = compile_rule(rule);
        if (auto* why = std::get_if<std::string>(&compiled)) {
          out.left_to_daemon.push_back(policy_key(*p) + ": DENY rule " + *why);
        } else if (auto* rect = std::get_if<Rect>(&compiled)) {
          if (deny.rects.size() == kKernelRuleSlots) {
            out.left_to_daemon.push_back(policy_key(*p) + ": more DENY rules than kernel slots");
            continue;
          }
          deny.rects.push_back(std::move(*rect));
          deny.policies.push_back(policy_key(*p));
        }
      }
    }
    allow_list = !applicable.allow.empty() && !service_allow;
    for (const auto* p : applicable.allow) {
      for (const auto& rule : p->rules) {
        auto compiled = compile_rule(rule);
        if (auto* why = std::get_if<std::string>(&compiled)) {
          out.left_to_daemon.push_back(policy_key(*p) + ": ALLOW rule " + *why);
          allow_list = false;
        } else if (auto* rect = std::get_if<Rect>(&compiled)) {
          if (allow.rects.size() == kKernelRuleSlots) {
            out.left_to_daemon.push_back(policy_key(*p) + ": more ALLOW rules than kernel slots");
            allow_list = false;
            continue;
          }
          allow.rects.push_back(std::move(*rect));
          allow.policies.push_back(policy_key(*p));
        }
      }
    }
    if (!allow_list) allow = {};
  }

  // Ports: every port a slot names, and the port-level mTLS ports; port 0 stands for the
  // rest, evaluated at a port none of them is.
  std::set<uint16_t> named;
  for (const auto* slots : {&deny, &allow})
    for (const auto& r : slots->rects) collect_ports(r.ports, named);
  named.erase(0);  // not a TCP destination
  std::set<uint16_t> taken = named;
  taken.insert(mtls_ports.begin(), mtls_ports.end());
  uint16_t rest = 1;
  while (taken.contains(rest)) ++rest;
  const bool strict_rest = snapshot.mtls_mode(w, rest) == state::MtlsMode::kStrict;
  bool any_strict = strict_rest;
  out.ports.push_back({0, slots_at_port(deny, rest), slots_at_port(allow, rest), strict_rest});
  std::set<uint16_t> listed = named;
  for (uint16_t port : mtls_ports)
    if ((snapshot.mtls_mode(w, port) == state::MtlsMode::kStrict) != strict_rest)
      listed.insert(port);
  for (uint16_t port : listed) {
    bool strict = snapshot.mtls_mode(w, port) == state::MtlsMode::kStrict;
    any_strict = any_strict || strict;
    out.ports.push_back({port, slots_at_port(deny, port), slots_at_port(allow, port), strict});
  }
  if (!any_strict && deny.rects.empty() && !allow_list) return std::nullopt;

  for (const auto& p : out.ports) {
    out.deny_any_port = p.port == 0 ? p.deny : out.deny_any_port & p.deny;
    out.allow_some_port |= p.allow;
  }
  if (!deny.rects.empty() || !allow.rects.empty()) {
    std::vector<IpBlock> prefixes = {{boost::asio::ip::address_v4(), 0},
                                     {boost::asio::ip::address_v6(), 0}};
    for (const auto* slots : {&deny, &allow})
      for (const auto& r : slots->rects) collect_blocks(r.sources, prefixes);
    std::sort(prefixes.begin(), prefixes.end(), prefix_less);
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    for (const auto& at : prefixes)
      out.sources.push_back({at, slots_at_prefix(deny, at), slots_at_prefix(allow, at)});
  }
  out.allow_list = allow_list;
  out.deny_policies = std::move(deny.policies);
  out.allow_policies = std::move(allow.policies);
  return out;
}

IpAddress unmapped(const IpAddress& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

std::vector<KernelPodPolicy> compile_kernel_policies(const state::Snapshot& snapshot,
                                                     const std::vector<KernelPolicyPod>& pods) {
  std::vector<KernelPodPolicy> out;
  const auto mtls_ports = port_level_ports(snapshot);
  for (const auto& pod : pods) {
    auto w = snapshot.workload_by_uid(pod.uid);
    if (!w) continue;
    std::optional<KernelPodPolicy> compiled;  // the same for each IP of the pod
    for (const auto& raw : pod.ips) {
      IpAddress ip = unmapped(raw);
      if (snapshot.workload_by_ip(ip) != w) continue;  // another pod's now: not ours to judge
      if (!compiled) {
        compiled = compile_pod(snapshot, *w, mtls_ports);
        if (!compiled) break;
      }
      out.push_back(*compiled);
      out.back().ip = ip;
    }
  }
  return out;
}

std::vector<KernelPolicyPod> kernel_policy_pods(const state::Snapshot& snapshot,
                                                const std::string& node) {
  std::vector<KernelPolicyPod> out;
  for (const auto& w : snapshot.workloads()) {
    if (w->node != node || !w->ambient || w->host_network || w->terminated || w->ips.empty())
      continue;
    out.push_back({w->uid, w->ips});
  }
  return out;
}

KernelVerdict kernel_decide(const KernelPodPolicy& policy, const IpAddress& raw_src, uint16_t port,
                            bool hbone) {
  using Kind = KernelVerdict::Kind;
  const IpAddress src = unmapped(raw_src);
  uint64_t deny_ports = policy.deny_any_port, allow_ports = policy.allow_some_port;
  if (!hbone) {
    const KernelPort* entry = nullptr;
    for (const auto& p : policy.ports)
      if (p.port == port || (p.port == 0 && !entry)) entry = &p;
    if (!entry) return {};
    if (entry->strict) return {Kind::kStrict, {}};
    deny_ports = entry->deny;
    allow_ports = entry->allow;
  }
  const KernelSource* longest = nullptr;
  for (const auto& s : policy.sources)
    if (s.prefix.contains(src) && (!longest || s.prefix.prefix_len > longest->prefix.prefix_len))
      longest = &s;
  uint64_t src_deny = longest ? longest->deny : 0, src_allow = longest ? longest->allow : 0;
  if (uint64_t hit = src_deny & deny_ports) {
    size_t slot = static_cast<size_t>(__builtin_ctzll(hit));
    return {Kind::kDeny, slot < policy.deny_policies.size() ? policy.deny_policies[slot] : ""};
  }
  if (policy.allow_list && !(src_allow & allow_ports)) return {Kind::kAllowMiss, {}};
  return {};
}

}  // namespace zmesh::rbac
