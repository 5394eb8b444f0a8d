/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the redirect programs. Userspace pins each one at
 * <pin_root>/maps/<map name>, so the names below are also the operator-facing file names
 * (`bpftool map dump pinned <pin_root>/maps/zmesh_orig_dst`). The kernel truncates map
 * names to 15 characters: `bpftool map show` lists e.g. "zmesh_enrolled_".
 */
#ifndef ZMESH_BPF_LIB_MAPS_H
#define ZMESH_BPF_LIB_MAPS_H

#include "vmlinux.h"
/* vmlinux.h first: the libbpf headers below use its types. */
#include <bpf/bpf_helpers.h>

#include "zmesh.h"

/* [0] = struct zmesh_config, written by the daemon after load. All zero (abi_version 0)
 * means "not configured yet": the programs then leave every socket alone. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct zmesh_config);
} zmesh_config SEC(".maps");

/* netns cookie -> pod. Presence means: redirect this netns's outbound TCP. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_PODS);
  __type(key, __u64);
  __type(value, struct zmesh_pod_info);
} zmesh_enrolled_netns SEC(".maps");

/* socket cookie -> original destination, between connect4/6 and sockops established.
 * LRU: connects that never establish (refused, timed out) age out on their own. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZMESH_MAX_CONNS);
  __type(key, __u64);
  __type(value, struct zmesh_orig_dst);
} zmesh_cookie_orig_dst SEC(".maps");

/* 4-tuple of an established redirected connection -> original destination. The daemon
 * looks it up once per connection accepted on 15001; sockops deletes it on close. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZMESH_MAX_CONNS);
  __type(key, struct zmesh_tuple_key);
  __type(value, struct zmesh_orig_dst);
} zmesh_orig_dst SEC(".maps");

/* netns cookie -> counters, per CPU (userspace sums). Entries are created by connect4/6
 * (enrolled netns) and sk_lookup (registered pod), removed when the pod is unenrolled. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, ZMESH_MAX_PODS);
  __type(key, __u64);
  __type(value, struct zmesh_conn_stats);
} zmesh_conn_stats SEC(".maps");

/* pod IP -> the daemon's inbound (15006) listener in that pod's netns, for sk_lookup. */
struct {
  __uint(type, BPF_MAP_TYPE_SOCKHASH);
  __uint(max_entries, ZMESH_MAX_PODS);
  __type(key, struct zmesh_ip);
  __type(value, __u64);
} zmesh_inbound_listeners SEC(".maps");

/* pod IP -> netns cookie of that pod, so sk_lookup can count per netns: the kernel does
 * not offer bpf_get_netns_cookie() to sk_lookup programs. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_PODS);
  __type(key, struct zmesh_ip);
  __type(value, __u64);
} zmesh_inbound_netns SEC(".maps");

/* Service VIP:port -> maxConnections, node-wide (docs/architecture.md, "Connection limits").
 * Written by the daemon from each snapshot; absent = unlimited. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_CONN_LIMITS);
  __type(key, struct zmesh_conn_limit_key);
  __type(value, struct zmesh_conn_limit);
} zmesh_conn_limits SEC(".maps");

/* Service VIP:port -> live count and refusals. Created by connect4/6 on first use, updated
 * only with atomics; the daemon deletes an entry only once its limit is gone and it is idle.
 * Not preallocated: a deleted element is not recycled under a program still holding it. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, ZMESH_MAX_CONN_LIMITS);
  __type(key, struct zmesh_conn_limit_key);
  __type(value, struct zmesh_conn_count);
} zmesh_conn_counts SEC(".maps");

/* Per app socket: the zmesh_conn_counts slot it holds (struct zmesh_conn_slot). */
struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct zmesh_conn_slot);
} zmesh_conn_limit_sk SEC(".maps");

/* Kernel L4 policy (struct comments in zmesh.h, logic in lib/policy.h). Written by the daemon
 * from each snapshot (upsert what changed, delete what went), read by sk_lookup. */
/* pod IP -> flags and DENY slot policy ids; absent = no kernel policy for this pod. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_PODS);
  __type(key, struct zmesh_ip);
  __type(value, struct zmesh_pod_policy);
} zmesh_pol_pods SEC(".maps");

/* {pod IP, port} -> slots holding on that port and STRICT; port 0 = any other port. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_POLICY_PORTS);
  __type(key, struct zmesh_pol_port_key);
  __type(value, struct zmesh_pol_port);
} zmesh_pol_ports SEC(".maps");

/* {pod IP, IPv4 source prefix} -> slots holding for it (longest prefix match). */
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, ZMESH_MAX_POLICY_SOURCES);
  __type(key, struct zmesh_pol_src4_key);
  __type(value, struct zmesh_pol_src);
} zmesh_pol_src4 SEC(".maps");

/* {pod IP, IPv6 source prefix} -> slots holding for it (longest prefix match). */
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, ZMESH_MAX_POLICY_SOURCES);
  __type(key, struct zmesh_pol_src6_key);
  __type(value, struct zmesh_pol_src);
} zmesh_pol_src6 SEC(".maps");

/* {pod IP, policy id} -> refusals. Created by sk_lookup on first refusal (atomics only);
 * the daemon deletes the entries of pods that no longer have a kernel policy. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_POLICY_COUNTS);
  __type(key, struct zmesh_pol_count_key);
  __type(value, struct zmesh_pol_count);
} zmesh_pol_denials SEC(".maps");

/* policy id -> "namespace/name", for bpftool and zmeshctl. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZMESH_MAX_POLICY_NAMES);
  __type(key, __u32);
  __type(value, struct zmesh_pol_name);
} zmesh_pol_names SEC(".maps");

#endif /* ZMESH_BPF_LIB_MAPS_H */
