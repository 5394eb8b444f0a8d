/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Address extraction for the sk_lookup (inbound steering) program. */
#ifndef ZMESH_BPF_LIB_INBOUND_H
#define ZMESH_BPF_LIB_INBOUND_H

#include "lib/addr.h"

/*
 * zmesh_sk_lookup_addrs() - local (destination) and remote (source) IP of a lookup.
 *
 * Loads through ZMESH_CTX_LOAD32 (see lib/addr.h): plain field reads of the two families
 * get merged into a load the verifier rejects.
 *
 * Return: false for a family other than IPv4/IPv6.
 */
static __always_inline bool zmesh_sk_lookup_addrs(struct bpf_sk_lookup* ctx, struct zmesh_ip* local,
                                                  struct zmesh_ip* remote) {
#define ZMESH_LOOKUP_LOAD(field) ZMESH_CTX_LOAD32(ctx, struct bpf_sk_lookup, field)
  __u32 family = ctx->family;

  if (family == ZMESH_AF_INET) {
    zmesh_ip_from_v4(local, ZMESH_LOOKUP_LOAD(local_ip4));
    zmesh_ip_from_v4(remote, ZMESH_LOOKUP_LOAD(remote_ip4));
    return true;
  }
  if (family == ZMESH_AF_INET6) {
    zmesh_ip_from_v6(local, ZMESH_LOOKUP_LOAD(local_ip6[0]), ZMESH_LOOKUP_LOAD(local_ip6[1]),
                     ZMESH_LOOKUP_LOAD(local_ip6[2]), ZMESH_LOOKUP_LOAD(local_ip6[3]));
    zmesh_ip_from_v6(remote, ZMESH_LOOKUP_LOAD(remote_ip6[0]), ZMESH_LOOKUP_LOAD(remote_ip6[1]),
                     ZMESH_LOOKUP_LOAD(remote_ip6[2]), ZMESH_LOOKUP_LOAD(remote_ip6[3]));
    return true;
  }
#undef ZMESH_LOOKUP_LOAD
  return false;
}

#endif /* ZMESH_BPF_LIB_INBOUND_H */
