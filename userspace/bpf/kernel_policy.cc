#include "bpf/kernel_policy.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "bpf/map_keys.h"
#include "zmesh.h"

namespace zmesh::bpf {
namespace {

using Bytes = std::string;  // a key or value as raw bytes: map keys compare with memcmp

template <typename T>
Bytes bytes_of(const T& value) {
  return Bytes(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T from_bytes(const Bytes& bytes) {
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

// Every entry of a map, keys and values as bytes. Bounded by `max` iterations.
template <typename K, typename V>
std::map<Bytes, Bytes> entries_of(int fd, uint32_t max) {
  std::map<Bytes, Bytes> out;
  if (fd < 0) return out;
  K next{}, current{};
  const K* prev = nullptr;
  for (uint32_t i = 0; i <= max; ++i) {
    if (bpf_map_get_next_key(fd, prev, &next) != 0) break;
    V value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) out.emplace(bytes_of(next), bytes_of(value));
    current = next;
    prev = &current;
  }
  return out;
}

// The pod IP every key of the policy maps starts with (after an LPM key's prefixlen).
template <typename K>
Bytes pod_of(const Bytes& key) {
  return bytes_of(from_bytes<K>(key).pod);
}

// zmesh_pol_pods's key, seen like the others' (a struct with a `pod` member).
struct PodIpKey {
  zmesh_ip pod;
};
static_assert(sizeof(PodIpKey) == sizeof(zmesh_ip));

struct Wanted {
  std::map<Bytes, Bytes> pods, ports, src4, src6;
  std::map<uint32_t, std::string> names;
};

void copy_name(char* out, size_t size, const std::string& name) {
  std::memset(out, 0, size);
  std::memcpy(out, name.data(), std::min(name.size(), size - 1));
}

void add_wanted(const PodPolicy& p, Wanted& w) {
  zmesh_ip pod = to_zmesh_ip(p.ip);
  zmesh_pod_policy value;
  std::memset(&value, 0, sizeof(value));
  value.flags = p.allow_list ? ZMESH_POLICY_ALLOW_LIST : 0;
  value.n_deny =
      static_cast<uint32_t>(std::min<size_t>(p.deny_policies.size(), ZMESH_POLICY_RULES));
  value.deny_any_port = p.deny_any_port;
  value.allow_some_port = p.allow_some_port;
  for (size_t i = 0; i < p.deny_policies.size() && i < ZMESH_POLICY_RULES; ++i) {
    value.deny_policy[i] = policy_id(p.deny_policies[i]);
    w.names[value.deny_policy[i]] = p.deny_policies[i];
  }
  for (size_t i = 0; i < p.allow_policies.size() && i < ZMESH_POLICY_RULES; ++i) {
    value.allow_policy[i] = policy_id(p.allow_policies[i]);
    w.names[value.allow_policy[i]] = p.allow_policies[i];
  }
  copy_name(value.pod, sizeof(value.pod), p.pod);
  w.pods[bytes_of(pod)] = bytes_of(value);

  for (const auto& port : p.ports) {
    zmesh_pol_port_key key;
    std::memset(&key, 0, sizeof(key));
    key.pod = pod;
    key.port = port.port;
    zmesh_pol_port v;
    std::memset(&v, 0, sizeof(v));
    v.deny = port.deny;
    v.allow = port.allow;
    v.strict = port.strict ? 1 : 0;
    w.ports[bytes_of(key)] = bytes_of(v);
  }
  for (const auto& s : p.sources) {
    zmesh_pol_src v{s.deny, s.allow};
    if (s.prefix.is_v4()) {
      zmesh_pol_src4_key key;
      std::memset(&key, 0, sizeof(key));
      key.prefixlen = 128 + s.prefix_len;
      key.pod = pod;
      auto b = s.prefix.to_v4().to_bytes();
      std::memcpy(key.src, b.data(), 4);
      w.src4[bytes_of(key)] = bytes_of(v);
    } else {
      zmesh_pol_src6_key key;
      std::memset(&key, 0, sizeof(key));
      key.prefixlen = 128 + s.prefix_len;
      key.pod = pod;
      auto b = s.prefix.to_v6().to_bytes();
      std::memcpy(key.src, b.data(), 16);
      w.src6[bytes_of(key)] = bytes_of(v);
    }
  }
}

// Pods (by IP bytes) whose entries in one map differ between `have` and `want`.
template <typename K>
void note_changed(const std::map<Bytes, Bytes>& have, const std::map<Bytes, Bytes>& want,
                  std::set<Bytes>& changed) {
  for (const auto& [key, value] : have) {
    auto it = want.find(key);
    if (it == want.end() || it->second != value) changed.insert(pod_of<K>(key));
  }
  for (const auto& [key, value] : want)
    if (!have.contains(key)) changed.insert(pod_of<K>(key));
}

// Deletes the stale entries and writes the changed ones of one map.
Result<void> apply(int fd, const std::map<Bytes, Bytes>& have, const std::map<Bytes, Bytes>& want,
                   const char* what) {
  for (const auto& [key, value] : have) {
    if (want.contains(key)) continue;
    if (bpf_map_delete_elem(fd, key.data()) != 0 && errno != ENOENT)
      return errno_error(std::string("delete ") + what + " entry", errno);
  }
  for (const auto& [key, value] : want) {
    auto it = have.find(key);
    if (it != have.end() && it->second == value) continue;
    if (bpf_map_update_elem(fd, key.data(), value.data(), BPF_ANY) != 0)
      return errno_error(std::string("write ") + what + " entry", errno);
  }
  return ok();
}

std::string reserved_name(uint32_t id) {
  if (id == ZMESH_POLICY_ID_STRICT) return "PeerAuthentication STRICT";
  if (id == ZMESH_POLICY_ID_ALLOW_MISS) return "no ALLOW policy matched";
  return {};
}

std::string name_of(const PolicyMapFds& fds, uint32_t id) {
  if (auto r = reserved_name(id); !r.empty()) return r;
  zmesh_pol_name name{};
  if (fds.names < 0 || bpf_map_lookup_elem(fds.names, &id, &name) != 0)
    return "#" + std::to_string(id);
  return std::string(name.name, strnlen(name.name, sizeof(name.name)));
}

std::string pod_name(const zmesh_pod_policy& p) {
  return std::string(p.pod, strnlen(p.pod, sizeof(p.pod)));
}

}  // namespace

uint32_t policy_id(const std::string& policy) {
  uint32_t h = 2166136261u;
  for (unsigned char c : policy) {
    h ^= c;
    h *= 16777619u;
  }
  return h < ZMESH_POLICY_ID_FIRST ? h + ZMESH_POLICY_ID_FIRST : h;
}

Result<void> sync_kernel_policies(const PolicyMapFds& fds, const std::vector<PodPolicy>& wanted,
                                  std::vector<std::string>* changes) {
  Wanted want;
  for (const auto& p : wanted) add_wanted(p, want);
  if (want.pods.size() > ZMESH_MAX_PODS || want.ports.size() > ZMESH_MAX_POLICY_PORTS ||
      want.src4.size() > ZMESH_MAX_POLICY_SOURCES || want.src6.size() > ZMESH_MAX_POLICY_SOURCES)
    return make_error("kernel policy does not fit its maps (" + std::to_string(want.ports.size()) +
                      " ports, " + std::to_string(want.src4.size() + want.src6.size()) +
                      " source prefixes)");
  auto pods = entries_of<zmesh_ip, zmesh_pod_policy>(fds.pods, ZMESH_MAX_PODS);
  auto ports = entries_of<zmesh_pol_port_key, zmesh_pol_port>(fds.ports, ZMESH_MAX_POLICY_PORTS);
  auto src4 = entries_of<zmesh_pol_src4_key, zmesh_pol_src>(fds.src4, ZMESH_MAX_POLICY_SOURCES);
  auto src6 = entries_of<zmesh_pol_src6_key, zmesh_pol_src>(fds.src6, ZMESH_MAX_POLICY_SOURCES);

  std::set<Bytes> changed;
  note_changed<PodIpKey>(pods, want.pods, changed);
  note_changed<zmesh_pol_port_key>(ports, want.ports, changed);
  note_changed<zmesh_pol_src4_key>(src4, want.src4, changed);
  note_changed<zmesh_pol_src6_key>(src6, want.src6, changed);

  // 1. Out of the check while rewritten: a half-written pod could refuse what neither its
  // old nor its new policy refuses; passing to the daemon is always safe.
  for (const auto& pod : changed) {
    if (!pods.contains(pod)) continue;
    if (bpf_map_delete_elem(fds.pods, pod.data()) != 0 && errno != ENOENT)
      return errno_error("delete kernel policy of a pod", errno);
    pods.erase(pod);
  }
  // 2. Ports and sources; 3. the pod entries back.
  if (auto r = apply(fds.ports, ports, want.ports, "zmesh_pol_ports"); !r) return r;
  if (auto r = apply(fds.src4, src4, want.src4, "zmesh_pol_src4"); !r) return r;
  if (auto r = apply(fds.src6, src6, want.src6, "zmesh_pol_src6"); !r) return r;
  if (auto r = apply(fds.pods, pods, want.pods, "zmesh_pol_pods"); !r) return r;
  if (changes)
    for (const auto& pod : changed) {
      auto ip = from_zmesh_ip(from_bytes<zmesh_ip>(pod));
      auto it = want.pods.find(pod);
      changes->push_back(it == want.pods.end()
                             ? "removed kernel policy of " + ip.to_string()
                             : "kernel policy of " +
                                   pod_name(from_bytes<zmesh_pod_policy>(it->second)) + " (" +
                                   ip.to_string() + ") updated");
    }

  // Counters of pods without policy go; names stay while a policy or a counter uses them.
  std::set<uint32_t> named_ids;
  for (const auto& [id, name] : want.names) named_ids.insert(id);
  auto counts =
      entries_of<zmesh_pol_count_key, zmesh_pol_count>(fds.denials, ZMESH_MAX_POLICY_COUNTS);
  for (const auto& [key, value] : counts) {
    auto k = from_bytes<zmesh_pol_count_key>(key);
    if (want.pods.contains(bytes_of(k.pod))) {
      named_ids.insert(k.policy_id);
      continue;
    }
    bpf_map_delete_elem(fds.denials, key.data());
  }
  auto names = entries_of<uint32_t, zmesh_pol_name>(fds.names, ZMESH_MAX_POLICY_NAMES);
  for (const auto& [key, value] : names)
    if (!named_ids.contains(from_bytes<uint32_t>(key))) bpf_map_delete_elem(fds.names, key.data());
  for (const auto& [id, name] : want.names) {
    zmesh_pol_name value;
    copy_name(value.name, sizeof(value.name), name);
    auto it = names.find(bytes_of(id));
    if (it != names.end() && it->second == bytes_of(value)) continue;
    if (bpf_map_update_elem(fds.names, &id, &value, BPF_ANY) != 0)
      return errno_error("write policy name " + name, errno);
  }
  return ok();
}

std::vector<PodPolicy> read_kernel_policies(const PolicyMapFds& fds) {
  std::map<Bytes, PodPolicy> by_pod;
  for (const auto& [key, value] :
       entries_of<zmesh_ip, zmesh_pod_policy>(fds.pods, ZMESH_MAX_PODS)) {
    auto v = from_bytes<zmesh_pod_policy>(value);
    PodPolicy& p = by_pod[key];
    p.pod = pod_name(v);
    p.ip = from_zmesh_ip(from_bytes<zmesh_ip>(key));
    p.allow_list = (v.flags & ZMESH_POLICY_ALLOW_LIST) != 0;
    p.deny_any_port = v.deny_any_port;
    p.allow_some_port = v.allow_some_port;
    for (uint32_t i = 0; i < v.n_deny && i < ZMESH_POLICY_RULES; ++i)
      p.deny_policies.push_back(name_of(fds, v.deny_policy[i]));
    for (uint32_t i = 0; i < ZMESH_POLICY_RULES && v.allow_policy[i] != 0; ++i)
      p.allow_policies.push_back(name_of(fds, v.allow_policy[i]));
  }
  for (const auto& [key, value] :
       entries_of<zmesh_pol_port_key, zmesh_pol_port>(fds.ports, ZMESH_MAX_POLICY_PORTS)) {
    auto it = by_pod.find(pod_of<zmesh_pol_port_key>(key));
    if (it == by_pod.end()) continue;
    auto k = from_bytes<zmesh_pol_port_key>(key);
    auto v = from_bytes<zmesh_pol_port>(value);
    it->second.ports.push_back({k.port, v.deny, v.allow, v.strict != 0});
  }
  auto add_sources = [&](const std::map<Bytes, Bytes>& entries, auto key_type) {
    using K = decltype(key_type);
    for (const auto& [key, value] : entries) {
      auto it = by_pod.find(pod_of<K>(key));
      if (it == by_pod.end()) continue;
      auto k = from_bytes<K>(key);
      auto v = from_bytes<zmesh_pol_src>(value);
      boost::asio::ip::address prefix;
      if constexpr (sizeof(k.src) == 4) {
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), k.src, 4);
        prefix = boost::asio::ip::address_v4(b);
      } else {
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), k.src, 16);
        prefix = boost::asio::ip::address_v6(b);
      }
      it->second.sources.push_back(
          {prefix, static_cast<uint8_t>(k.prefixlen - 128), v.deny, v.allow});
    }
  };
  add_sources(entries_of<zmesh_pol_src4_key, zmesh_pol_src>(fds.src4, ZMESH_MAX_POLICY_SOURCES),
              zmesh_pol_src4_key{});
  add_sources(entries_of<zmesh_pol_src6_key, zmesh_pol_src>(fds.src6, ZMESH_MAX_POLICY_SOURCES),
              zmesh_pol_src6_key{});
  std::vector<PodPolicy> out;
  for (auto& [key, p] : by_pod) {
    std::sort(p.ports.begin(), p.ports.end(),
              [](const PolicyPort& a, const PolicyPort& b) { return a.port < b.port; });
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<PolicyDenials> read_policy_denials(const PolicyMapFds& fds) {
  std::vector<PolicyDenials> out;
  auto pods = entries_of<zmesh_ip, zmesh_pod_policy>(fds.pods, ZMESH_MAX_PODS);
  for (const auto& [key, value] :
       entries_of<zmesh_pol_count_key, zmesh_pol_count>(fds.denials, ZMESH_MAX_POLICY_COUNTS)) {
    auto k = from_bytes<zmesh_pol_count_key>(key);
    PolicyDenials d;
    d.pod_ip = from_zmesh_ip(k.pod);
    if (auto it = pods.find(bytes_of(k.pod)); it != pods.end())
      d.pod = pod_name(from_bytes<zmesh_pod_policy>(it->second));
    d.policy_id = k.policy_id;
    d.policy = name_of(fds, k.policy_id);
    d.denied = from_bytes<zmesh_pol_count>(value).denied;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace zmesh::bpf
