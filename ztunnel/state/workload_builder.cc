#include "state/workload_builder.h"

#include <algorithm>
#include <string_view>

namespace zmesh::state {
namespace {

// The alphabet of Kubernetes' rand.SafeEncodeString (no vowels, no 0/1/3), which encodes
// pod-template-hash: a generated suffix never contains other characters.
constexpr std::string_view kSafeEncodeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

bool looks_like_template_hash(std::string_view s) {
  // The hash is an encoded uint32: up to 10 characters; short words like "db" are kept.
  return s.size() >= 6 && s.size() <= 10 &&
         s.find_first_not_of(kSafeEncodeAlphabet) == std::string_view::npos;
}

// CronJob jobs are named "<cronjob>-<minutes since epoch>" (Istio: `^(.+)-\d{8,}$`).
bool looks_like_job_timestamp(std::string_view s) {
  return s.size() >= 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string label_or(const Labels& labels, std::initializer_list<const char*> keys,
                     const std::string& fallback) {
  for (const char* key : keys) {
    auto it = labels.find(key);
    if (it != labels.end() && !it->second.empty()) return it->second;
  }
  return fallback;
}

}  // namespace

std::string derive_workload_name(const ObjectMeta& meta) {
  if (meta.generate_name.empty()) return meta.name;
  std::string_view owner = meta.generate_name;
  while (!owner.empty() && owner.back() == '-') owner.remove_suffix(1);
  if (owner.empty()) return meta.name;

  auto dash = owner.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::string(owner);
  std::string_view suffix = owner.substr(dash + 1);

  auto hash = meta.labels.find("pod-template-hash");
  bool is_replicaset =
      hash != meta.labels.end() ? suffix == hash->second : looks_like_template_hash(suffix);
  if (is_replicaset || looks_like_job_timestamp(suffix)) return std::string(owner.substr(0, dash));
  return std::string(owner);
}

Membership mesh_membership(const Pod& pod, bool namespace_ambient) {
  constexpr const char* kInject = "sidecar.istio.io/inject";
  auto get = [](const Labels& m, const char* key) -> const std::string* {
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
  };
  const std::string& ns = pod.meta.namespace_;
  if (pod.host_network) return {false, "hostNetwork pod (shares the node's network)"};
  if (get(pod.meta.annotations, "sidecar.istio.io/status"))
    return {false, "has an Istio sidecar (annotation sidecar.istio.io/status)"};
  for (const auto* m : {&pod.meta.labels, &pod.meta.annotations})
    if (const auto* v = get(*m, kInject); v && *v == "true")
      return {false, std::string("sidecar injection requested (") + kInject + "=true)"};
  const std::string* mode = get(pod.meta.labels, kDataplaneModeLabel);
  const std::string label = std::string(kDataplaneModeLabel);
  if (mode && *mode == "none") return {false, "pod label " + label + "=none"};
  if (mode && *mode == kDataplaneModeAmbient) return {true, "pod label " + label + "=ambient"};
  if (namespace_ambient) return {true, "namespace " + ns + " has " + label + "=ambient"};
  return {false, "namespace " + ns + " is not in ambient mode (no " + label + "=ambient)"};
}

Workload make_workload(const Pod& pod, bool namespace_ambient) {
  Workload w;
  w.uid = pod.meta.namespace_ + "/" + pod.meta.name;
  w.name = pod.meta.name;
  w.namespace_ = pod.meta.namespace_;
  w.node = pod.node_name;
  w.service_account = pod.service_account;
  w.workload_name = derive_workload_name(pod.meta);
  w.canonical_service = label_or(
      pod.meta.labels, {"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"},
      w.workload_name);
  w.canonical_revision = label_or(
      pod.meta.labels,
      {"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"}, "latest");
  w.app = label_or(pod.meta.labels, {"app"}, "");
  w.version = label_or(pod.meta.labels, {"version"}, "");
  w.ips = pod.pod_ips;
  w.labels = pod.meta.labels;
  w.ports = pod.ports;
  w.ready = pod.ready && !pod.terminated();
  w.terminated = pod.terminated();
  w.host_network = pod.host_network;

  auto membership = mesh_membership(pod, namespace_ambient);
  w.ambient = membership.member;
  w.mesh_reason = std::move(membership.reason);
  return w;
}

std::string Workload::identity(const std::string& trust_domain) const {
  return "spiffe://" + trust_domain + "/ns/" + namespace_ + "/sa/" + service_account;
}

}  // namespace zmesh::state
