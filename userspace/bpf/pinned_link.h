// Attaching a program through a pinned bpf_link that survives the daemon: a pin that is
// already attached to the right target gets the new program swapped in atomically
// (BPF_LINK_UPDATE: no window without a program, never two programs attached).
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"

namespace zmesh::bpf {

// What a pinned link must be attached to for it to be reused as is.
struct LinkTarget {
  uint32_t link_type;    // BPF_LINK_TYPE_CGROUP or BPF_LINK_TYPE_NETNS
  uint32_t attach_type;  // e.g. BPF_CGROUP_INET4_CONNECT, BPF_SK_LOOKUP
  uint64_t target_id;    // cgroup id (inode of the cgroup v2 directory) or netns inode
};

// Updates the link pinned at `pin` with `prog` if it points at `target`; otherwise (no
// pin, or a stale one for another cgroup/netns or a defunct target) detaches what is
// there and pins the link returned by `attach` (NULL with errno set on failure).
Result<void> attach_or_update_pinned(const std::string& pin, bpf_program* prog,
                                     const LinkTarget& target,
                                     const std::function<bpf_link*()>& attach);

// Detaches the link pinned at `pin` and removes the pin; fine if there is none.
Result<void> detach_pinned(const std::string& pin);

}  // namespace zmesh::bpf
