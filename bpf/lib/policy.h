/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Identity-free L4 policy at sk_lookup (docs/architecture.md, "Kernel L4 policy"): the
 * decisions the daemon would make without a certificate, taken before the SYN reaches a
 * listener. The daemon compiles them per pod IP (ztunnel/rbac/kernel_policy.h) into
 * zmesh_pol_* (lib/maps.h); its own check stays the authority, so this only ever refuses
 * what the daemon would refuse:
 *  - plaintext to a port under PeerAuthentication STRICT;
 *  - a DENY slot whose source prefix and port both hold;
 *  - with an allow list (every ALLOW rule of the pod compiled), no ALLOW slot holding.
 * On HBONE (15008) the app port is inside the tunnel, so only what holds on every port
 * applies: DENY slots of all ports, and an allow list no slot of which holds for the source.
 * A refusal is counted in zmesh_pol_denials under {pod IP, policy id}.
 */
#ifndef ZMESH_BPF_LIB_POLICY_H
#define ZMESH_BPF_LIB_POLICY_H

#include "lib/addr.h"
#include "lib/maps.h"

/* The slots of the longest source prefix of `pod` matching `remote`; zero when none. */
static __always_inline void zmesh_policy_source(const struct zmesh_ip* pod,
                                                const struct zmesh_ip* remote,
                                                struct zmesh_pol_src* out) {
  const struct zmesh_pol_src* hit;

  if (zmesh_ip_is_v4_mapped(remote)) {
    struct zmesh_pol_src4_key key4;

    __builtin_memset(&key4, 0, sizeof(key4));
    key4.prefixlen = 128 + 32;
    key4.pod = *pod;
    __builtin_memcpy(key4.src, &remote->addr32[3], 4);
    hit = bpf_map_lookup_elem(&zmesh_pol_src4, &key4);
  } else {
    struct zmesh_pol_src6_key key6;

    __builtin_memset(&key6, 0, sizeof(key6));
    key6.prefixlen = 128 + 128;
    key6.pod = *pod;
    __builtin_memcpy(key6.src, remote->addr, 16);
    hit = bpf_map_lookup_elem(&zmesh_pol_src6, &key6);
  }
  out->deny = hit ? hit->deny : 0;
  out->allow = hit ? hit->allow : 0;
}

/* The port entry of `pod` for `port`, else its "any other port" entry. */
static __always_inline const struct zmesh_pol_port* zmesh_policy_port(const struct zmesh_ip* pod,
                                                                      __u16 port) {
  const struct zmesh_pol_port* hit;
  struct zmesh_pol_port_key key;

  __builtin_memset(&key, 0, sizeof(key));
  key.pod = *pod;
  key.port = port;
  hit = bpf_map_lookup_elem(&zmesh_pol_ports, &key);
  if (hit) return hit;
  key.port = 0;
  return bpf_map_lookup_elem(&zmesh_pol_ports, &key);
}

static __always_inline void zmesh_policy_count(const struct zmesh_ip* pod, __u32 policy_id) {
  struct zmesh_pol_count_key key;
  struct zmesh_pol_count zero = {};
  struct zmesh_pol_count* count;

  __builtin_memset(&key, 0, sizeof(key));
  key.pod = *pod;
  key.policy_id = policy_id;
  count = bpf_map_lookup_elem(&zmesh_pol_denials, &key);
  if (!count) {
    bpf_map_update_elem(&zmesh_pol_denials, &key, &zero, BPF_NOEXIST);
    count = bpf_map_lookup_elem(&zmesh_pol_denials, &key);
  }
  if (count) __sync_fetch_and_add(&count->denied, 1);
}

/* The policy id of the lowest DENY slot set in `hit` (non-zero). */
static __always_inline __u32 zmesh_policy_deny_id(const struct zmesh_pod_policy* policy,
                                                  __u64 hit) {
  __u32 slot = 0;

  /* Count trailing zeros by halves: BPF has no such instruction. */
  if (!(hit & 0xffffffffULL)) {
    slot += 32;
    hit >>= 32;
  }
  if (!(hit & 0xffff)) {
    slot += 16;
    hit >>= 16;
  }
  if (!(hit & 0xff)) {
    slot += 8;
    hit >>= 8;
  }
  if (!(hit & 0xf)) {
    slot += 4;
    hit >>= 4;
  }
  if (!(hit & 0x3)) {
    slot += 2;
    hit >>= 2;
  }
  if (!(hit & 0x1)) slot += 1;
  return policy->deny_policy[slot & (ZMESH_POLICY_RULES - 1)];
}

/*
 * zmesh_policy_refuses() - whether the kernel policy of pod `local` refuses a connection
 * from `remote` to `port` (`hbone`: the port is the HBONE listener, the app port unknown).
 * Counts the refusal.
 */
static __always_inline bool zmesh_policy_refuses(const struct zmesh_ip* local,
                                                 const struct zmesh_ip* remote, __u16 port,
                                                 bool hbone) {
  const struct zmesh_pod_policy* policy = bpf_map_lookup_elem(&zmesh_pol_pods, local);
  const struct zmesh_pol_port* ports;
  struct zmesh_pol_src src;
  __u64 deny_ports, allow_ports;
  __u64 hit;

  if (!policy) return false;
  if (hbone) {
    deny_ports = policy->deny_any_port;
    allow_ports = policy->allow_some_port;
  } else {
    ports = zmesh_policy_port(local, port);
    if (!ports) return false;
    if (ports->strict) {
      zmesh_policy_count(local, ZMESH_POLICY_ID_STRICT);
      return true;
    }
    deny_ports = ports->deny;
    allow_ports = ports->allow;
  }
  zmesh_policy_source(local, remote, &src);
  hit = src.deny & deny_ports;
  if (hit) {
    zmesh_policy_count(local, zmesh_policy_deny_id(policy, hit));
    return true;
  }
  if ((policy->flags & ZMESH_POLICY_ALLOW_LIST) && !(src.allow & allow_ports)) {
    zmesh_policy_count(local, ZMESH_POLICY_ID_ALLOW_MISS);
    return true;
  }
  return false;
}

#endif /* ZMESH_BPF_LIB_POLICY_H */
