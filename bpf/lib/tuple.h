/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The zmesh_orig_dst key of an established socket, as sockops sees it. */
#ifndef ZMESH_BPF_LIB_TUPLE_H
#define ZMESH_BPF_LIB_TUPLE_H

#include "lib/addr.h"

/*
 * zmesh_tuple_from_sockops() - key of the app socket: its local address as src, the
 * redirect target (loopback:15001) as dst. The daemon's accepted socket has the same
 * pair as (peer, local). local_port is host order; remote_port is network order in the
 * upper 16 bits, hence bpf_ntohl.
 */
static __always_inline void zmesh_tuple_from_sockops(struct bpf_sock_ops* skops,
                                                     struct zmesh_tuple_key* key) {
#define ZMESH_SOCKOPS_LOAD(field) ZMESH_CTX_LOAD32(skops, struct bpf_sock_ops, field)
  __builtin_memset(key, 0, sizeof(*key));
  key->netns_cookie = bpf_get_netns_cookie(skops);
  if (skops->family == ZMESH_AF_INET) {
    /* ZMESH_CTX_LOAD32 (see lib/addr.h): plain reads of the two families' fields get
     * merged into a load the verifier rejects. */
    zmesh_ip_from_v4(&key->src_ip, ZMESH_SOCKOPS_LOAD(local_ip4));
    zmesh_ip_from_v4(&key->dst_ip, ZMESH_SOCKOPS_LOAD(remote_ip4));
  } else {
    zmesh_ip_from_v6(&key->src_ip, ZMESH_SOCKOPS_LOAD(local_ip6[0]),
                     ZMESH_SOCKOPS_LOAD(local_ip6[1]), ZMESH_SOCKOPS_LOAD(local_ip6[2]),
                     ZMESH_SOCKOPS_LOAD(local_ip6[3]));
    zmesh_ip_from_v6(&key->dst_ip, ZMESH_SOCKOPS_LOAD(remote_ip6[0]),
                     ZMESH_SOCKOPS_LOAD(remote_ip6[1]), ZMESH_SOCKOPS_LOAD(remote_ip6[2]),
                     ZMESH_SOCKOPS_LOAD(remote_ip6[3]));
  }
  key->src_port = (__u16)skops->local_port;
  key->dst_port = (__u16)bpf_ntohl(skops->remote_port);
#undef ZMESH_SOCKOPS_LOAD
}

#endif /* ZMESH_BPF_LIB_TUPLE_H */
