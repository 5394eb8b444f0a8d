#include "policies_command.h"

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bpf/datapath.h"
#include "table.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

std::string prefix_text(const bpf::PolicySource& s) {
  return s.prefix.to_string() + "/" + std::to_string(s.prefix_len);
}

bool covers(const bpf::PolicySource& outer, const bpf::PolicySource& inner) {
  if (outer.prefix.is_v4() != inner.prefix.is_v4() || outer.prefix_len > inner.prefix_len)
    return false;
  auto bits = [](const boost::asio::ip::address& a) {
    if (a.is_v4()) {
      auto b = a.to_v4().to_bytes();
      return std::vector<uint8_t>(b.begin(), b.end());
    }
    auto b = a.to_v6().to_bytes();
    return std::vector<uint8_t>(b.begin(), b.end());
  };
  auto o = bits(outer.prefix), i = bits(inner.prefix);
  for (unsigned n = 0; n < outer.prefix_len; ++n)
    if (((o[n / 8] >> (7 - n % 8)) & 1) != ((i[n / 8] >> (7 - n % 8)) & 1)) return false;
  return true;
}

// The source prefixes where `mask` starts to hold ("10.0.0.0/8") or stops ("!10.1.0.0/16"),
// from the longest-match entries; "*" when it holds for every address.
std::string blocks_text(const bpf::PodPolicy& p, uint64_t mask, bool deny) {
  auto holds = [&](const bpf::PolicySource& s) { return ((deny ? s.deny : s.allow) & mask) != 0; };
  std::vector<std::string> out;
  size_t roots = 0;
  for (const auto& s : p.sources) {
    const bpf::PolicySource* parent = nullptr;
    for (const auto& o : p.sources)
      if (&o != &s && covers(o, s) && (!parent || o.prefix_len > parent->prefix_len)) parent = &o;
    bool parent_holds = parent && holds(*parent);
    if (holds(s) && !parent_holds) {
      if (s.prefix_len == 0) ++roots;
      out.push_back(prefix_text(s));
    } else if (!holds(s) && parent_holds) {
      out.push_back("!" + prefix_text(s));
    }
  }
  if (roots == 2) {  // both families: "*" then the exceptions
    std::erase_if(out, [](const std::string& t) { return t.ends_with("/0"); });
    out.insert(out.begin(), "*");
  }
  if (out.empty()) return "-";
  std::string text;
  for (const auto& t : out) text += (text.empty() ? "" : ",") + t;
  return text;
}

// "*" (every port), "*,!8080", or "80,443".
std::string ports_text(const bpf::PodPolicy& p, auto holds) {
  bool rest = false;
  for (const auto& port : p.ports)
    if (port.port == 0) rest = holds(port);
  std::string text = rest ? "*" : "";
  for (const auto& port : p.ports) {
    if (port.port == 0 || holds(port) == rest) continue;
    text += (text.empty() ? "" : ",") + std::string(rest ? "!" : "") + std::to_string(port.port);
  }
  return text.empty() ? "-" : text;
}

struct Row {
  std::string pod, ip, policy, action, blocks, ports;
  uint64_t denied = 0;
};

std::vector<Row> rows_of(const bpf::PodPolicy& p,
                         const std::map<std::pair<std::string, std::string>, uint64_t>& denied) {
  std::vector<Row> rows;
  const std::string& pod = p.pod;
  const std::string ip = p.ip.to_string();
  auto count = [&](const std::string& policy) {
    auto it = denied.find({p.ip.to_string(), policy});
    return it == denied.end() ? uint64_t{0} : it->second;
  };
  bool any_strict = false;
  for (const auto& port : p.ports) any_strict = any_strict || port.strict;
  if (any_strict) {
    const std::string name = "PeerAuthentication STRICT";
    rows.push_back({pod, ip, name, "STRICT", "*",
                    ports_text(p, [](const bpf::PolicyPort& port) { return port.strict; }),
                    count(name)});
  }
  auto add = [&](const std::vector<std::string>& slots, bool deny) {
    std::map<std::string, uint64_t> masks;  // policy -> its slots
    for (size_t i = 0; i < slots.size(); ++i) masks[slots[i]] |= uint64_t{1} << i;
    for (const auto& [policy, mask] : masks) {
      auto holds = [&, m = mask](const bpf::PolicyPort& port) {
        return ((deny ? port.deny : port.allow) & m) != 0;
      };
      rows.push_back({pod, ip, policy, deny ? "DENY" : "ALLOW", blocks_text(p, mask, deny),
                      ports_text(p, holds), deny ? count(policy) : 0});
    }
  };
  add(p.deny_policies, true);
  if (p.allow_list) {
    add(p.allow_policies, false);
    const std::string name = "no ALLOW policy matched";
    rows.push_back({pod, ip, name, "ALLOW-LIST", "-", "-", count(name)});
  }
  return rows;
}

int run_policies(const GlobalOptions& options) {
  auto maps = bpf::PinnedMaps::open(options.pin_root);
  if (!maps) return fail("kernel-policies: " + maps.error().message);
  std::map<std::pair<std::string, std::string>, uint64_t> denied;
  for (const auto& d : maps->policy_denials()) denied[{d.pod_ip.to_string(), d.policy}] += d.denied;
  std::vector<Row> rows;
  for (const auto& p : maps->kernel_policies())
    for (auto& row : rows_of(p, denied)) rows.push_back(std::move(row));

  if (options.json()) {
    json out = json::array();
    for (const auto& r : rows)
      out.push_back({{"pod", r.pod},
                     {"ip", r.ip},
                     {"policy", r.policy},
                     {"action", r.action},
                     {"blocks", r.blocks},
                     {"ports", r.ports},
                     {"denied", r.denied}});
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows)
    table.push_back({r.pod + " (" + r.ip + ")", r.policy, r.action, r.blocks, r.ports,
                     r.action == "ALLOW" ? "-" : std::to_string(r.denied)});
  std::cout << render_table({"POD", "POLICY", "ACTION", "BLOCKS", "PORTS", "DENIED"}, table);
  return kExitOk;
}

}  // namespace

void add_policies_command(CLI::App& app, const GlobalOptions& options,
                          std::vector<Command>& commands) {
  auto* cmd = app.add_subcommand(
      "kernel-policies",
      "Identity-free L4 policy enforced in the kernel per pod, with refusals (BPF maps)");
  commands.push_back({cmd, [&options] { return run_policies(options); }});
}

}  // namespace zmesh::zmeshctl
