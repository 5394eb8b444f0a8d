/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The outbound capture decision shared by cgroup/connect4 and cgroup/connect6. */
#ifndef ZMESH_BPF_LIB_OUTBOUND_H
#define ZMESH_BPF_LIB_OUTBOUND_H

#include "lib/addr.h"
#include "lib/config.h"
#include "lib/conn_limit.h"
#include "lib/maps.h"
#include "lib/stats.h"

/*
 * zmesh_outbound_capture() - decide whether to redirect a connect() to the daemon.
 * @ctx: the connect4/6 context
 * @dst: destination the app asked for (IPv4-mapped for AF_INET)
 * @family: address family of the app's socket
 * @refused: set when the destination's connection limit is reached (see lib/conn_limit.h)
 *
 * Redirects TCP of enrolled netns, except sockets carrying the daemon's mark (its own
 * dials out of the pod) and loopback destinations (in-pod traffic, and our own target).
 * On success the original destination is stored under the socket cookie for sockops.
 *
 * Return: the configuration (the caller rewrites to its outbound port), or NULL to leave
 * the connect alone or, with *refused set, to refuse it.
 */
static __always_inline const struct zmesh_config* zmesh_outbound_capture(struct bpf_sock_addr* ctx,
                                                                         const struct zmesh_ip* dst,
                                                                         __u16 family,
                                                                         bool* refused) {
  const struct zmesh_config* cfg;
  struct zmesh_conn_stats* stats;
  struct zmesh_orig_dst orig;
  struct bpf_sock* sk = ctx->sk;
  __u64 netns_cookie, sock_cookie;

  if (ctx->protocol != IPPROTO_TCP) return NULL;
  cfg = zmesh_config_get();
  if (!cfg) return NULL;
  netns_cookie = bpf_get_netns_cookie(ctx);
  if (!bpf_map_lookup_elem(&zmesh_enrolled_netns, &netns_cookie)) return NULL;
  stats = zmesh_stats_get_or_create(netns_cookie);
  if (sk && sk->mark == cfg->mark) {
    if (stats) stats->skipped_marked++;
    return NULL;
  }
  if (zmesh_ip_is_loopback(dst)) return NULL;

  __builtin_memset(&orig, 0, sizeof(orig));
  orig.ip = *dst;
  orig.port = bpf_ntohs((__u16)ctx->user_port);
  orig.family = family;
  orig.netns_cookie = netns_cookie;
  sock_cookie = bpf_get_socket_cookie(ctx);
  /* Without the record the daemon could not route the connection: better not redirect. */
  if (bpf_map_update_elem(&zmesh_cookie_orig_dst, &sock_cookie, &orig, BPF_ANY)) return NULL;
  if (sk && !zmesh_conn_limit_take(sk, dst, orig.port)) {
    bpf_map_delete_elem(&zmesh_cookie_orig_dst, &sock_cookie);
    *refused = true;
    return NULL;
  }
  if (stats) stats->outbound_redirected++;
  return cfg;
}

#endif /* ZMESH_BPF_LIB_OUTBOUND_H */
