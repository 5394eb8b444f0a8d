// Installs zmesh-cni on a node, as istio-cni's installer does: the binary into the CNI bin
// directory (atomic rename) and a {"type":"zmesh-cni","runDir":...} entry as the last plugin
// of the node's primary network configuration; uninstall removes both. The chart's init
// container runs `zmesh-cni install`; its uninstall path runs `zmesh-cni uninstall`.
//
// Ownership (the chart's uninstall path, see charts/zmesh/README.md): install may record the UID
// of the zmesh pod that installed in <run_dir>/cni-owner; an uninstall given an owner then only
// removes the plugin when that pod is still the one recorded. During a rolling update the new
// pod (maxSurge) installs, and so takes ownership, before the old one stops, so the old pod's
// uninstall leaves the plugin in place; when the DaemonSet is deleted nobody took over and the
// plugin goes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::cni {

struct InstallOptions {
  std::string bin_dir;   // e.g. /host/opt/cni/bin
  std::string conf_dir;  // e.g. /host/etc/cni/net.d
  std::string run_dir;   // the daemon's --run-dir, as the plugin sees it on the node
  std::string binary;    // the zmesh-cni to copy (default: this executable)
  // Written into the entry as "excludeNamespaces" when set (unset: the plugin's default).
  std::optional<std::vector<std::string>> exclude_namespaces;
  // The installing / uninstalling zmesh pod's UID ("" = no ownership: uninstall always removes).
  // Needs run_dir.
  std::string owner;
};

// The file under run_dir that names the owner.
inline constexpr const char* kOwnerFile = "cni-owner";

// Each returns one line per thing it did ("installed /opt/cni/bin/zmesh-cni", ...).
Result<std::vector<std::string>> install(const InstallOptions& options);
Result<std::vector<std::string>> uninstall(const InstallOptions& options);

}  // namespace zmesh::cni
