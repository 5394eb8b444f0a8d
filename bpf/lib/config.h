/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Access to the daemon-written zmesh_config record. */
#ifndef ZMESH_BPF_LIB_CONFIG_H
#define ZMESH_BPF_LIB_CONFIG_H

#include "lib/maps.h"

/* The configuration, or NULL while the daemon has not written it (programs then do
 * nothing: redirecting to a port nobody is told about would only break connections). */
static __always_inline const struct zmesh_config* zmesh_config_get(void) {
  __u32 zero = 0;
  const struct zmesh_config* cfg = bpf_map_lookup_elem(&zmesh_config, &zero);

  if (!cfg || cfg->abi_version != ZMESH_ABI_VERSION) return NULL;
  return cfg;
}

/* One of the daemon's own in-pod ports (15001/15006/15008): never steered. */
static __always_inline bool zmesh_is_mesh_port(const struct zmesh_config* cfg, __u32 port) {
  return port == cfg->outbound_port || port == cfg->inbound_plain_port ||
         port == cfg->inbound_hbone_port;
}

#endif /* ZMESH_BPF_LIB_CONFIG_H */
