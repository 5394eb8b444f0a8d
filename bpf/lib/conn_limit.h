/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DestinationRule connectionPool.tcp.maxConnections, enforced at connect() for Service
 * VIP:port destinations (docs/architecture.md, "Connection limits"):
 *  - zmesh_conn_limit_take() in connect4/6: one atomic increment of the destination's
 *    node-wide count, undone when it passes the limit (the connect is then refused);
 *  - zmesh_conn_limit_release() on the app socket's TCP_CLOSE (sockops) and on its release
 *    (cgroup/sock_release, for sockets that never established): the socket storage's
 *    `taken` flag is exchanged to 0 so only the first of the two gives the slot back.
 */
#ifndef ZMESH_BPF_LIB_CONN_LIMIT_H
#define ZMESH_BPF_LIB_CONN_LIMIT_H

#include "lib/addr.h"
#include "lib/maps.h"

/* Returns the slot held by `sk` (if any) to its destination's count. `sk`: a full socket
 * (sockops skops->sk after a NULL check, or the cgroup/sock program's context). */
static __always_inline void zmesh_conn_limit_release(void* sk) {
  struct zmesh_conn_count* count;
  struct zmesh_conn_slot* slot;

  slot = bpf_sk_storage_get(&zmesh_conn_limit_sk, sk, 0, 0);
  if (!slot || !__sync_lock_test_and_set(&slot->taken, 0)) return;
  count = bpf_map_lookup_elem(&zmesh_conn_counts, &slot->key);
  if (!count) return; /* limit removed and count swept: nothing to give back */
  /* Never below zero (only possible if the daemon swept a count under a racing connect). */
  if (__sync_fetch_and_add(&count->active, -1) == 0) __sync_fetch_and_add(&count->active, 1);
}

/* The count of a limited destination, created on first use. */
static __always_inline struct zmesh_conn_count* zmesh_conn_count_get(
    const struct zmesh_conn_limit_key* key) {
  struct zmesh_conn_count* count = bpf_map_lookup_elem(&zmesh_conn_counts, key);
  struct zmesh_conn_count zero = {};

  if (count) return count;
  bpf_map_update_elem(&zmesh_conn_counts, key, &zero, BPF_NOEXIST);
  return bpf_map_lookup_elem(&zmesh_conn_counts, key);
}

/*
 * zmesh_conn_limit_take() - take a connection slot of dst:port for the app socket `sk`.
 *
 * Return: false when the destination is at its limit (refuse the connect). Destinations
 * without a limit, and sockets whose slot cannot be recorded, pass uncounted (fail open:
 * a slot that could never be given back would shrink the limit for good).
 */
static __always_inline bool zmesh_conn_limit_take(struct bpf_sock* sk, const struct zmesh_ip* dst,
                                                  __u16 port) {
  struct zmesh_conn_limit_key key;
  struct zmesh_conn_limit* limit;
  struct zmesh_conn_count* count;
  struct zmesh_conn_slot* slot;

  __builtin_memset(&key, 0, sizeof(key));
  key.ip = *dst;
  key.port = port;
  limit = bpf_map_lookup_elem(&zmesh_conn_limits, &key);
  if (!limit) return true;
  count = zmesh_conn_count_get(&key);
  if (!count) return true;
  slot = bpf_sk_storage_get(&zmesh_conn_limit_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (!slot) return true;
  /* connect() again after a failed attempt: the earlier slot goes back first. */
  if (slot->taken) zmesh_conn_limit_release(sk);

  if (__sync_fetch_and_add(&count->active, 1) >= limit->max_connections) {
    __sync_fetch_and_add(&count->active, -1);
    __sync_fetch_and_add(&count->rejected, 1);
    return false;
  }
  slot->key = key;
  slot->taken = 1;
  return true;
}

#endif /* ZMESH_BPF_LIB_CONN_LIMIT_H */
