#include "bpf/map_pins.h"

#include <bpf/bpf.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <string>

#include "common/unique_fd.h"
#include "zmesh.h"

namespace zmesh::bpf {
namespace {

// The same checks libbpf makes before reusing a pin, done up front so that a mismatch
// means "recreate" rather than a failed load.
bool same_definition(int pinned_fd, const bpf_map* map, std::string* why) {
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(pinned_fd, &info, &len) != 0) {
    *why = std::string("map info: ") + std::strerror(errno);
    return false;
  }
  if (info.type != static_cast<uint32_t>(bpf_map__type(map)) ||
      info.key_size != bpf_map__key_size(map) || info.value_size != bpf_map__value_size(map) ||
      info.max_entries != bpf_map__max_entries(map) || info.map_flags != bpf_map__map_flags(map)) {
    *why = "definition changed";
    return false;
  }
  return true;
}

bool abi_matches(int config_fd, std::string* why) {
  uint32_t key = 0;
  zmesh_config config{};
  if (bpf_map_lookup_elem(config_fd, &key, &config) != 0) {
    *why = std::string("read zmesh_config: ") + std::strerror(errno);
    return false;
  }
  if (config.abi_version != ZMESH_ABI_VERSION) {
    *why = "ABI version " + std::to_string(config.abi_version) + ", this build has " +
           std::to_string(ZMESH_ABI_VERSION);
    return false;
  }
  return true;
}

}  // namespace

Result<bool> prepare_map_pins(bpf_object* obj, const PinLayout& layout) {
  bool found = false;
  std::string why;
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__is_internal(map)) continue;
    std::string pin = layout.map(bpf_map__name(map));
    int err = bpf_map__set_pin_path(map, pin.c_str());
    if (err != 0) return errno_error("set pin path " + pin, -err);
    UniqueFd pinned(bpf_obj_get(pin.c_str()));
    if (!pinned) {
      if (errno != ENOENT) return errno_error("open pinned map " + pin, errno);
      continue;  // a map this build added: created at load
    }
    found = true;
    if (why.empty() && !same_definition(pinned.get(), map, &why)) why = pin + ": " + why;
    if (why.empty() && std::strcmp(bpf_map__name(map), "zmesh_config") == 0 &&
        !abi_matches(pinned.get(), &why))
      why = pin + ": " + why;
  }
  if (!found || why.empty()) return found;
  spdlog::warn("bpf: pinned maps under {} are not reusable ({}); recreating them", layout.root,
               why);
  if (auto r = unpin_maps(layout); !r) return r.error();
  return false;
}

}  // namespace zmesh::bpf
