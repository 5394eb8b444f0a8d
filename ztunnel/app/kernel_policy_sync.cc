#include "app/kernel_policy_sync.h"

#include <spdlog/spdlog.h>

#include <set>

#include "rbac/kernel_policy.h"

namespace zmesh::app {
namespace {

bpf::PodPolicy to_bpf(const rbac::KernelPodPolicy& p) {
  bpf::PodPolicy out;
  out.pod = p.pod;
  out.ip = p.ip;
  out.allow_list = p.allow_list;
  out.deny_policies = p.deny_policies;
  out.allow_policies = p.allow_policies;
  out.deny_any_port = p.deny_any_port;
  out.allow_some_port = p.allow_some_port;
  for (const auto& s : p.sources)
    out.sources.push_back({s.prefix.address, s.prefix.prefix_len, s.deny, s.allow});
  for (const auto& port : p.ports)
    out.ports.push_back({port.port, port.deny, port.allow, port.strict});
  return out;
}

std::vector<bpf::PodPolicy> compile(const state::Snapshot& snapshot, const std::string& node) {
  auto compiled = rbac::compile_kernel_policies(snapshot, rbac::kernel_policy_pods(snapshot, node));
  std::vector<bpf::PodPolicy> out;
  std::set<std::string> noted;
  for (const auto& p : compiled) {
    out.push_back(to_bpf(p));
    if (!noted.insert(p.pod).second) continue;
    for (const auto& why : p.left_to_daemon)
      spdlog::debug("bpf: kernel policy of {}: left to ztunnel: {}", p.pod, why);
  }
  return out;
}

// Writes `policies`; on failure removes every entry. True when the maps hold `policies`.
bool write(bpf::Datapath& datapath, const std::vector<bpf::PodPolicy>& policies) {
  auto r = datapath.set_kernel_policies(policies);
  if (r) return true;
  spdlog::error("bpf: kernel policy not updated ({}); removing it, ztunnel decides alone",
                r.error().message);
  if (auto cleared = datapath.set_kernel_policies({}); !cleared)
    spdlog::error("bpf: kernel policy not removed: {}", cleared.error().message);
  return false;
}

}  // namespace

void KernelPolicySync::on_snapshot(const state::Snapshot& snapshot) {
  auto policies = compile(snapshot, node_);
  if (written_ && *written_ == policies) return;  // most snapshots: no map syscall at all
  if (write(datapath_, policies))
    written_ = std::move(policies);
  else
    written_.reset();
}

void sync_kernel_policies(bpf::Datapath& datapath, const state::Snapshot& snapshot,
                          const std::string& node) {
  write(datapath, compile(snapshot, node));
}

}  // namespace zmesh::app
