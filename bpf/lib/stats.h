/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-netns, per-CPU connection counters (zmesh_conn_stats). Plain increments: the
 * value is per CPU and programs do not migrate while running. */
#ifndef ZMESH_BPF_LIB_STATS_H
#define ZMESH_BPF_LIB_STATS_H

#include "lib/maps.h"

/* Counters of a netns, creating a zeroed entry first. Only for netns the daemon
 * registered (enrolled or with an inbound listener), so the map cannot fill with strangers. */
static __always_inline struct zmesh_conn_stats* zmesh_stats_get_or_create(__u64 netns_cookie) {
  struct zmesh_conn_stats* stats = bpf_map_lookup_elem(&zmesh_conn_stats, &netns_cookie);
  struct zmesh_conn_stats zero = {};

  if (stats) return stats;
  bpf_map_update_elem(&zmesh_conn_stats, &netns_cookie, &zero, BPF_NOEXIST);
  return bpf_map_lookup_elem(&zmesh_conn_stats, &netns_cookie);
}

/* Counters of a netns if it has any: after unenroll, late closes must not recreate it. */
static __always_inline struct zmesh_conn_stats* zmesh_stats_get(__u64 netns_cookie) {
  return bpf_map_lookup_elem(&zmesh_conn_stats, &netns_cookie);
}

#endif /* ZMESH_BPF_LIB_STATS_H */
