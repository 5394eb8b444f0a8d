// Finds the network namespaces of pods that run without this daemon having seen their CNI
// ADD (installed or restarted after they started), as istio-cni's node agent does: every
// namespace of a process under --proc-dir and every file under --netns-dir, except the
// daemon's own and the host's (pid 1's), is searched for the pods' IPs.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <map>
#include <set>
#include <string>

namespace zmesh::enroll {

struct ScanDirs {
  std::string proc_dir = "/proc";
  std::string netns_dir = "/var/run/netns";
};

// IP -> a path that opens the namespace holding it (a --netns-dir file when one is the same
// namespace, else /proc/<pid>/ns/net). IPs found in no namespace, or in several, are absent.
std::map<boost::asio::ip::address, std::string> find_netns_by_ip(
    const ScanDirs& dirs, const std::set<boost::asio::ip::address>& wanted);

}  // namespace zmesh::enroll
