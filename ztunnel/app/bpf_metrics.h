// zmesh_bpf_* metrics: the kernel's own per-pod connection counters, read from the pinned
// per-CPU map at scrape time.
#pragma once

#include <string>

#include "bpf/datapath.h"

namespace zmesh::app {

std::string render_bpf_metrics(const bpf::PinnedMaps& maps);

}  // namespace zmesh::app
