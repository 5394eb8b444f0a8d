// RAII owners for libbpf objects.
#pragma once

#include <bpf/libbpf.h>

#include <memory>

#include "zmesh_redirect.skel.h"

namespace zmesh::bpf {

struct SkeletonDeleter {
  void operator()(zmesh_redirect* skel) const { zmesh_redirect__destroy(skel); }
};
using Skeleton = std::unique_ptr<zmesh_redirect, SkeletonDeleter>;

// Destroying a bpf_link closes its fd; a pinned link stays attached.
struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using Link = std::unique_ptr<bpf_link, LinkDeleter>;

}  // namespace zmesh::bpf
