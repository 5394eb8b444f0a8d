// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Socket redirection for enrolled pods (see docs/architecture.md, "Data paths"):
 *  - cgroup/connect4, connect6: outbound TCP of an enrolled netns goes to the daemon's
 *    in-pod listener on loopback:15001; the original destination is kept.
 *  - sockops: once established, that record is re-keyed by 4-tuple for the daemon, and
 *    removed when the socket closes.
 *  - connect4/6 also refuse a connect to a Service VIP:port at its maxConnections, and
 *    sockops (TCP_CLOSE) / cgroup/sock_release give the slot back (lib/conn_limit.h).
 *  - sk_lookup (per pod netns): inbound TCP from outside the pod goes to the daemon's
 *    15006 listener; the accepted socket keeps the original local address. Before that,
 *    the pod's identity-free L4 policy (lib/policy.h) may refuse it, and on 15008 (HBONE)
 *    the part of it that holds on every port.
 */
#include "vmlinux.h"
/* vmlinux.h first: the libbpf headers below use its types. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/addr.h"
#include "lib/config.h"
#include "lib/conn_limit.h"
#include "lib/inbound.h"
#include "lib/maps.h"
#include "lib/outbound.h"
#include "lib/policy.h"
#include "lib/stats.h"
#include "lib/tuple.h"

/* cgroup sock_addr programs: 1 lets connect() proceed (with the rewritten address). */
#define ZMESH_CONNECT_ALLOW 1
/* 0 fails connect() with EPERM at once: the app sees the overflow without a round trip. */
#define ZMESH_CONNECT_REFUSE 0

SEC("cgroup/connect4")
int zmesh_connect4(struct bpf_sock_addr* ctx) {
  const struct zmesh_config* cfg;
  bool refused = false;
  struct zmesh_ip dst;

  zmesh_ip_from_v4(&dst, ctx->user_ip4);
  cfg = zmesh_outbound_capture(ctx, &dst, ZMESH_AF_INET, &refused);
  if (refused) return ZMESH_CONNECT_REFUSE;
  if (cfg) {
    ctx->user_ip4 = bpf_htonl(0x7f000001);
    ctx->user_port = bpf_htons(cfg->outbound_port);
  }
  return ZMESH_CONNECT_ALLOW;
}

SEC("cgroup/connect6")
int zmesh_connect6(struct bpf_sock_addr* ctx) {
  const struct zmesh_config* cfg;
  bool refused = false;
  struct zmesh_ip dst;

  zmesh_ip_from_v6(&dst, ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]);
  cfg = zmesh_outbound_capture(ctx, &dst, ZMESH_AF_INET6, &refused);
  if (refused) return ZMESH_CONNECT_REFUSE;
  if (!cfg) return ZMESH_CONNECT_ALLOW;
  if (zmesh_ip_is_v4_mapped(&dst)) {
    /* An IPv4 peer through a dual-stack socket: stay IPv4, ::ffff:127.0.0.1. */
    ctx->user_ip6[3] = bpf_htonl(0x7f000001);
  } else {
    ctx->user_ip6[0] = 0;
    ctx->user_ip6[1] = 0;
    ctx->user_ip6[2] = 0;
    ctx->user_ip6[3] = bpf_htonl(1);
  }
  ctx->user_port = bpf_htons(cfg->outbound_port);
  return ZMESH_CONNECT_ALLOW;
}

static __always_inline void zmesh_sockops_established(struct bpf_sock_ops* skops) {
  struct zmesh_conn_stats* stats;
  struct zmesh_orig_dst* orig;
  struct zmesh_tuple_key key;
  __u64 sock_cookie = bpf_get_socket_cookie(skops);

  orig = bpf_map_lookup_elem(&zmesh_cookie_orig_dst, &sock_cookie);
  if (!orig) return; /* not a redirected socket */
  zmesh_tuple_from_sockops(skops, &key);
  if (bpf_map_update_elem(&zmesh_orig_dst, &key, orig, BPF_ANY) == 0) {
    stats = zmesh_stats_get(key.netns_cookie);
    if (stats) stats->outbound_established++;
    /* Only redirected sockets pay for state callbacks, to see their close. */
    bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
  }
  bpf_map_delete_elem(&zmesh_cookie_orig_dst, &sock_cookie);
}

static __always_inline void zmesh_sockops_closed(struct bpf_sock_ops* skops) {
  struct zmesh_conn_stats* stats;
  struct zmesh_tuple_key key;

  zmesh_tuple_from_sockops(skops, &key);
  bpf_map_delete_elem(&zmesh_orig_dst, &key);
  stats = zmesh_stats_get(key.netns_cookie);
  if (stats) stats->outbound_closed++;
}

SEC("sockops")
int zmesh_sockops(struct bpf_sock_ops* skops) {
  switch (skops->op) {
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
      zmesh_sockops_established(skops);
      break;
    case BPF_SOCK_OPS_STATE_CB:
      if (skops->args[1] == BPF_TCP_CLOSE) {
        struct bpf_sock* sk = skops->sk;

        zmesh_sockops_closed(skops);
        /* Pin the checked value: clang may otherwise reload skops->sk for the helper call,
         * and the verifier sees that reload as possibly NULL. */
        asm volatile("" : "+r"(sk));
        if (sk) zmesh_conn_limit_release(sk);
      }
      break;
    default:
      break;
  }
  return 1;
}

/* An app socket closed (or its process died) before its connection reached TCP_CLOSE under
 * sockops, e.g. a connect that never established: its connection slot goes back here. */
SEC("cgroup/sock_release")
int zmesh_sock_release(struct bpf_sock* sk) {
  if (sk->protocol == IPPROTO_TCP) zmesh_conn_limit_release(sk);
  return 1;
}

SEC("sk_lookup")
int zmesh_sk_lookup(struct bpf_sk_lookup* ctx) {
  const struct zmesh_config* cfg;
  struct zmesh_conn_stats* stats;
  struct zmesh_ip local, remote;
  struct bpf_sock* listener;
  __u64* netns_cookie;
  bool hbone;
  __u32 port;
  long err;

  if (ctx->protocol != IPPROTO_TCP) return SK_PASS;
  cfg = zmesh_config_get();
  if (!cfg) return SK_PASS;
  port = ctx->local_port;
  hbone = port == cfg->inbound_hbone_port;
  if (!hbone && zmesh_is_mesh_port(cfg, port)) return SK_PASS;
  if (!zmesh_sk_lookup_addrs(ctx, &local, &remote)) return SK_PASS;
  /* From inside the pod (loopback, or pod IP to itself, e.g. the daemon delivering to the
   * app): the app's own listener must get it, not the daemon again. */
  if (zmesh_ip_is_loopback(&local) || zmesh_ip_equal(&local, &remote)) return SK_PASS;
  /* Refused by policy: SK_DROP fails the lookup, and TCP answers a SYN that finds no socket
   * with a reset, so the client sees ECONNREFUSED at once (no retransmits, no accept). */
  if (zmesh_policy_refuses(&local, &remote, (__u16)port, hbone)) return SK_DROP;
  if (hbone) return SK_PASS; /* HBONE reaches the daemon's 15008 listener by normal lookup */

  listener = bpf_map_lookup_elem(&zmesh_inbound_listeners, &local);
  if (!listener) {
    /* Still enrolled but no listener: the daemon is restarting. SK_DROP fails the lookup, so
     * the client gets a reset (as with Istio's in-pod redirect to an absent ztunnel) instead
     * of reaching the app around the proxy, which would break PeerAuthentication STRICT. */
    return bpf_map_lookup_elem(&zmesh_inbound_netns, &local) ? SK_DROP : SK_PASS;
  }
  err = bpf_sk_assign(ctx, listener, 0);
  bpf_sk_release(listener);
  if (err) return SK_PASS; /* e.g. an IPv4-only listener for an IPv6 pod IP: normal lookup */

  netns_cookie = bpf_map_lookup_elem(&zmesh_inbound_netns, &local);
  if (netns_cookie) {
    stats = zmesh_stats_get_or_create(*netns_cookie);
    if (stats) stats->inbound_steered++;
  }
  return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
