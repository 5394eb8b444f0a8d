/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Structs and constants shared by the BPF programs (bpf/<name>.bpf.c) and userspace
 * (userspace/bpf). Plain C, fixed-size fields, explicit padding: the layout is ABI
 * between a running kernel program and a possibly newer daemon reusing its pins.
 *
 * Conventions:
 *  - IP addresses are 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), in network
 *    byte order, so one key type serves both families.
 *  - Ports are stored in HOST byte order, so `bpftool map dump` reads naturally.
 *  - The maps themselves (names = pin file names) are defined and documented in
 *    bpf/lib/maps.h. Any layout change here needs ZMESH_ABI_VERSION bumped.
 */
#ifndef ZMESH_BPF_ZMESH_H
#define ZMESH_BPF_ZMESH_H

#ifdef __BPF__
/* vmlinux.h provides the __uN types in BPF builds. */
#else
#include <linux/types.h>
#endif

#define ZMESH_MARK 0x539          /* SO_MARK on every socket the daemon opens: never redirected */
#define ZMESH_PORT_OUTBOUND 15001 /* in-pod outbound capture listener (127.0.0.1 / ::1) */
#define ZMESH_PORT_INBOUND_PLAIN 15006 /* in-pod inbound plaintext listener */
#define ZMESH_PORT_INBOUND_HBONE 15008 /* in-pod inbound HBONE listener */

#define ZMESH_POD_NAME_MAX 64 /* "namespace/name", NUL terminated */
#define ZMESH_MAX_PODS 4096
#define ZMESH_MAX_CONNS 65536
#define ZMESH_MAX_CONN_LIMITS 4096     /* Service VIP:port destinations with a maxConnections */
#define ZMESH_MAX_POLICY_PORTS 16384   /* zmesh_pol_ports entries, all pods */
#define ZMESH_MAX_POLICY_SOURCES 16384 /* zmesh_pol_src4 / zmesh_pol_src6 entries, all pods */
#define ZMESH_MAX_POLICY_COUNTS 16384  /* zmesh_pol_denials entries, all pods */
#define ZMESH_MAX_POLICY_NAMES 8192    /* zmesh_pol_names entries */
#define ZMESH_POLICY_RULES 64          /* kernel rule slots per pod and action (bits of a __u64) */
#define ZMESH_POLICY_NAME_MAX 128      /* "namespace/name", NUL terminated */

/* Bumped whenever a map layout changes: a daemon finding another version in the pinned
 * zmesh_config map recreates the maps instead of reusing them. */
#define ZMESH_ABI_VERSION 1

/* The union only gives the bytes 4-byte alignment, so BPF can store 32-bit words. */
struct zmesh_ip {
  union {
    __u8 addr[16];
    __u32 addr32[4];
  };
};

/* zmesh_config[0]: written by the daemon at start. */
struct zmesh_config {
  __u32 abi_version;
  __u32 mark;
  __u16 outbound_port;
  __u16 inbound_plain_port;
  __u16 inbound_hbone_port;
  __u16 pad;
};

/* zmesh_enrolled_netns: netns cookie -> pod. Presence means "redirect this netns". */
struct zmesh_pod_info {
  __u32 pod_id;
  __u32 flags;
  char name[ZMESH_POD_NAME_MAX];
};

/* The destination an app asked for before connect4/6 rewrote it. */
struct zmesh_orig_dst {
  struct zmesh_ip ip;
  __u16 port;
  __u16 family; /* AF_INET or AF_INET6 as the app used it */
  __u32 pad;
  __u64 netns_cookie;
};

/* zmesh_orig_dst key: the redirected app socket as sockops sees it once established,
 * i.e. (app local addr:port) -> (loopback:15001), inside one pod netns. The daemon builds
 * the same key from its accepted socket: src = peer, dst = local. */
struct zmesh_tuple_key {
  __u64 netns_cookie;
  struct zmesh_ip src_ip;
  struct zmesh_ip dst_ip;
  __u16 src_port;
  __u16 dst_port;
  __u32 pad;
};

/* zmesh_conn_stats: per-CPU, keyed by netns cookie; userspace sums across CPUs. */
struct zmesh_conn_stats {
  __u64 outbound_redirected;  /* connect4/6 rewrote the destination */
  __u64 outbound_established; /* sockops saw the redirected socket established */
  __u64 outbound_closed;      /* ... and closed */
  __u64 skipped_marked;       /* daemon-owned socket left alone */
  __u64 inbound_steered;      /* sk_lookup sent a connection to the 15006 listener */
};

/* zmesh_conn_limits / zmesh_conn_counts key: a destination known at connect time, i.e. a
 * Service VIP and port as the app dialled it. */
struct zmesh_conn_limit_key {
  struct zmesh_ip ip;
  __u16 port;
  __u16 pad;
};

/* zmesh_conn_limits value, written by the daemon only (DestinationRule
 * connectionPool.tcp.maxConnections for that Service port). */
struct zmesh_conn_limit {
  __u32 max_connections;
  __u32 pad;
};

/* zmesh_conn_counts value, written by the programs only (atomics), so a daemon changing the
 * limit can never reset or race a live count. Node-wide: all pods of the node share it. */
struct zmesh_conn_count {
  __u32 active; /* app sockets holding a slot */
  __u32 pad;
  __u64 rejected; /* connects refused at the limit */
};

/* zmesh_conn_limit_sk (socket storage): the slot an app socket took, so whichever of
 * sockops TCP_CLOSE and cgroup/sock_release comes first gives it back, exactly once. */
struct zmesh_conn_slot {
  struct zmesh_conn_limit_key key;
  __u32 taken;
};

/*
 * Identity-free L4 policy of an inbound pod (docs/architecture.md, "Kernel L4 policy";
 * bpf/lib/policy.h). The daemon compiles, per pod IP, the AuthorizationPolicy rules made only
 * of source IP blocks and destination ports into rule slots (one bit each, up to
 * ZMESH_POLICY_RULES per action), and PeerAuthentication STRICT per port. A connection is
 * refused when (source bits & port bits) of some DENY slot are both set, or, with an allow
 * list, when no ALLOW slot has both; or when the port is STRICT (plaintext).
 */
#define ZMESH_POLICY_ALLOW_LIST 0x1 /* zmesh_pod_policy.flags: every ALLOW rule is compiled */

/* Policy ids in zmesh_pol_denials that are not an AuthorizationPolicy. Others are the FNV-1a
 * hash of "namespace/name" (never below ZMESH_POLICY_ID_FIRST), named in zmesh_pol_names. */
#define ZMESH_POLICY_ID_STRICT 1     /* PeerAuthentication STRICT refused plaintext */
#define ZMESH_POLICY_ID_ALLOW_MISS 2 /* ALLOW policies exist, none allowed */
#define ZMESH_POLICY_ID_FIRST 16

/* zmesh_pol_pods: pod IP -> what its policy needs. Absent: nothing to check. */
struct zmesh_pod_policy {
  __u32 flags;           /* ZMESH_POLICY_ALLOW_LIST */
  __u32 n_deny;          /* DENY slots in use */
  __u64 deny_any_port;   /* DENY slots holding on every port (checked on HBONE 15008 too) */
  __u64 allow_some_port; /* ALLOW slots holding on some port (HBONE: none -> refused) */
  __u32 deny_policy[ZMESH_POLICY_RULES];  /* DENY slot -> policy id, for the counters */
  __u32 allow_policy[ZMESH_POLICY_RULES]; /* ALLOW slot -> policy id (zmeshctl, bpftool) */
  char pod[ZMESH_POD_NAME_MAX];           /* "namespace/name" */
};

/* zmesh_pol_ports key: pod IP and its (app) port; port 0 = every port not listed. */
struct zmesh_pol_port_key {
  struct zmesh_ip pod;
  __u16 port;
  __u16 pad;
};

struct zmesh_pol_port {
  __u64 deny;   /* DENY slots whose ports include this port */
  __u64 allow;  /* ALLOW slots whose ports include this port */
  __u32 strict; /* 1: PeerAuthentication STRICT on this port (plaintext refused) */
  __u32 pad;
};

/* zmesh_pol_src4 / zmesh_pol_src6 (LPM tries) key: prefixlen = 128 + source prefix length,
 * so the pod IP always matches exactly and the source by longest prefix. */
struct zmesh_pol_src4_key {
  __u32 prefixlen;
  struct zmesh_ip pod;
  __u8 src[4];
};

struct zmesh_pol_src6_key {
  __u32 prefixlen;
  struct zmesh_ip pod;
  __u8 src[16];
};

/* The slots whose source condition holds for every address this prefix is the longest
 * match of. Each pod has a /0 entry per family, so every lookup of a pod with policy hits. */
struct zmesh_pol_src {
  __u64 deny;
  __u64 allow;
};

/* zmesh_pol_denials: refusals per pod and policy (programs only, atomic adds). */
struct zmesh_pol_count_key {
  struct zmesh_ip pod;
  __u32 policy_id;
  __u32 pad;
};

struct zmesh_pol_count {
  __u64 denied;
};

/* zmesh_pol_names: policy id -> "namespace/name" (daemon-written, for bpftool and zmeshctl). */
struct zmesh_pol_name {
  char name[ZMESH_POLICY_NAME_MAX];
};

#endif /* ZMESH_BPF_ZMESH_H */
