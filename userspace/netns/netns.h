// Network namespaces: open by path, run code inside one, identify by kernel cookie.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace zmesh::netns {

// Opens a netns handle (e.g. /run/netns/NAME or /proc/PID/ns/net).
Result<UniqueFd> open(const std::string& path);

// Runs fn on the calling thread with its network namespace switched to netns_fd, then
// switches back. Sockets created inside stay in that namespace for their whole life.
Result<void> run_in(int netns_fd, const std::function<void()>& fn);

// The kernel's netns cookie (SO_NETNS_COOKIE) for a namespace: the same value BPF
// programs get from bpf_get_netns_cookie().
Result<uint64_t> cookie(int netns_fd);

// Cookie of the namespace a socket lives in.
Result<uint64_t> socket_cookie_of_netns(int sock_fd);

}  // namespace zmesh::netns
