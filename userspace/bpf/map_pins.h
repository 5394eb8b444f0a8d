// Deciding whether the maps pinned by a previous daemon can be reused by this build.
#pragma once

#include <bpf/libbpf.h>

#include "bpf/pin_layout.h"
#include "common/result.h"

namespace zmesh::bpf {

// Points every map of `obj` at <root>/maps/<map name>, so load() reuses or creates pins.
// Returns true when pins were found and are reusable: same definitions and the ABI
// version recorded in zmesh_config. Pins that are not reusable (upgrade with a layout
// change) are removed first, so load() creates fresh maps; attached programs keep using
// the old ones until their links are updated.
Result<bool> prepare_map_pins(bpf_object* obj, const PinLayout& layout);

}  // namespace zmesh::bpf
