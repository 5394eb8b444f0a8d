// Where the datapath pins things: <root>/maps/<map name>, <root>/links/<link name>.
#pragma once

#include <string>

#include "common/result.h"

namespace zmesh::bpf {

inline constexpr const char* kLinkConnect4 = "cgroup_connect4";
inline constexpr const char* kLinkConnect6 = "cgroup_connect6";
inline constexpr const char* kLinkSockops = "cgroup_sockops";
inline constexpr const char* kLinkSockRelease = "cgroup_sock_release";
inline constexpr const char* kLinkSkLookupPrefix = "sk_lookup_";

struct PinLayout {
  std::string root;

  std::string maps_dir() const { return root + "/maps"; }
  std::string links_dir() const { return root + "/links"; }
  std::string map(const std::string& name) const { return maps_dir() + "/" + name; }
  std::string link(const std::string& name) const { return links_dir() + "/" + name; }
};

bool path_exists(const std::string& path);

// Fails with a readable hint unless `path` (or its nearest existing ancestor) is on bpffs.
Result<void> check_on_bpffs(const std::string& path);

// Creates root, maps/ and links/ (like mkdir -p).
Result<void> make_pin_dirs(const PinLayout& layout);

// Unlinks every map pin (programs still using the maps keep them alive).
Result<void> unpin_maps(const PinLayout& layout);

// Detaches every pinned link, unlinks every pin and removes the directories.
Result<void> remove_pin_tree(const PinLayout& layout);

}  // namespace zmesh::bpf
