// An enrolled pod's network namespace as the proxy sees it. Shared by its listeners and
// live connections, so the netns handle outlives an unenroll that races a connection.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "identity/secret_manager.h"

namespace zmesh::transport {

struct PodNetns {
  std::string uid;  // "ns/name"
  std::string netns_path;
  UniqueFd netns;
  uint64_t cookie = 0;
  boost::asio::ip::address ip;
  // The pod's workload identity: its certificate serves 15008 and signs its outbound HBONE.
  std::shared_ptr<identity::IdentitySlot> identity;
};

}  // namespace zmesh::transport
