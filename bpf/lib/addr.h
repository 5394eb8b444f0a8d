/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* IP address helpers: everything is kept as a 16-byte IPv4-mapped struct zmesh_ip. */
#ifndef ZMESH_BPF_LIB_ADDR_H
#define ZMESH_BPF_LIB_ADDR_H

#include "vmlinux.h"
/* vmlinux.h first: the libbpf headers below use its types. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "zmesh.h"

#define ZMESH_AF_INET 2
#define ZMESH_AF_INET6 10

/*
 * ZMESH_CTX_LOAD32() - load a 32-bit context field with one instruction at a fixed offset.
 *
 * Where IPv4 and IPv6 branches read different ctx fields into the same place, clang
 * (even with volatile) merges them into one load from a computed ctx pointer, and the
 * verifier rejects that ("dereference of modified ctx ptr"). An asm load with an
 * immediate offset cannot be merged.
 */
#define ZMESH_CTX_LOAD32(ctx, type, field)                          \
  ({                                                                \
    __u32 __v;                                                      \
    asm volatile("%0 = *(u32 *)(%1 + %2)"                           \
                 : "=r"(__v)                                        \
                 : "r"(ctx), "i"(__builtin_offsetof(type, field))); \
    __v;                                                            \
  })

/* ::ffff:a.b.c.d from an IPv4 address in network byte order. */
static __always_inline void zmesh_ip_from_v4(struct zmesh_ip* ip, __u32 addr4) {
  ip->addr32[0] = 0;
  ip->addr32[1] = 0;
  ip->addr32[2] = bpf_htonl(0x0000ffff);
  ip->addr32[3] = addr4;
}

/* Copies an IPv6 address given as four network-order words (ctx->user_ip6 & co). */
static __always_inline void zmesh_ip_from_v6(struct zmesh_ip* ip, __u32 w0, __u32 w1, __u32 w2,
                                             __u32 w3) {
  ip->addr32[0] = w0;
  ip->addr32[1] = w1;
  ip->addr32[2] = w2;
  ip->addr32[3] = w3;
}

static __always_inline bool zmesh_ip_is_v4_mapped(const struct zmesh_ip* ip) {
  return ip->addr32[0] == 0 && ip->addr32[1] == 0 && ip->addr32[2] == bpf_htonl(0x0000ffff);
}

/* 127.0.0.0/8, its IPv4-mapped form, or ::1. */
static __always_inline bool zmesh_ip_is_loopback(const struct zmesh_ip* ip) {
  if (zmesh_ip_is_v4_mapped(ip)) return (bpf_ntohl(ip->addr32[3]) >> 24) == 127;
  return ip->addr32[0] == 0 && ip->addr32[1] == 0 && ip->addr32[2] == 0 &&
         ip->addr32[3] == bpf_htonl(1);
}

static __always_inline bool zmesh_ip_equal(const struct zmesh_ip* a, const struct zmesh_ip* b) {
  return a->addr32[0] == b->addr32[0] && a->addr32[1] == b->addr32[1] &&
         a->addr32[2] == b->addr32[2] && a->addr32[3] == b->addr32[3];
}

#endif /* ZMESH_BPF_LIB_ADDR_H */
