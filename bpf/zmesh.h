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
#define ZMESH_MAX_CONN_LIMITS 4096 /* Service VIP:port destinations with a maxConnections */

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

#endif /* ZMESH_BPF_ZMESH_H */
