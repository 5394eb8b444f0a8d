// <run-dir>/enrolled.json: every pod sandbox this node knows (from CNI ADD, the netns scan or
// zmeshctl enroll) with its netns path, and whether it was enrolled, so a restarted or
// upgraded daemon re-enrolls what was enrolled and still knows the others' namespaces (the
// role of istio-cni's ZDS snapshot on reconnect).
//   {"pods":[{"pod":"NS/NAME","netns":"/var/run/netns/cni-..","containerId":"..",
//             "ips":["10.244.0.11"],"enrolled":true,"seen":true}]}
// Files of earlier versions list only enrolled pods, without "enrolled": read as enrolled.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::enroll {

struct Sandbox {
  std::string netns;             // path; empty once found gone
  std::string container_id;      // CNI_CONTAINERID ("" for zmeshctl enroll and the scan)
  std::vector<std::string> ips;  // as the CNI result gave them
  bool enrolled = false;
  bool seen = false;  // the pod was in the config view since (a later absence = deleted)
};
using Sandboxes = std::map<std::string, Sandbox>;  // pod uid -> its sandbox

Result<Sandboxes> load_enrollment_file(const std::string& path);
// Atomic replace (write temp + rename): a crash never leaves half a file.
Result<void> save_enrollment_file(const std::string& path, const Sandboxes& pods);

}  // namespace zmesh::enroll
