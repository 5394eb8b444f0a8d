// An enrolled pod's network namespace as the proxy sees it. Shared by its listeners and
// live connections, so the netns handle outlives an unenroll that races a connection.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

#include "common/unique_fd.h"

namespace zmesh::proxy {

struct PodNetns {
  std::string uid;  // "ns/name"
  std::string netns_path;
  UniqueFd netns;
  uint64_t cookie = 0;
  boost::asio::ip::address ip;
};

}  // namespace zmesh::proxy
