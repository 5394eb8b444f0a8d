// The original client of a request behind proxies, for `remoteIpBlocks` and `remote.ip`: as
// Envoy decides it with use_remote_address and meshConfig `numTrustedProxies` (its
// xff_num_trusted_hops): with N > 0 trusted hops the client is the Nth address from the right of
// X-Forwarded-For (every value of the header, comma-separated, in order); with 0, or when the
// header has fewer addresses or one that is not an IP address there, the connection's peer.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "state/model.h"

namespace zmesh::rbac {

// nullopt: the connection's peer is the client.
std::optional<state::IpAddress> forwarded_client(const std::vector<std::string_view>& xff_values,
                                                 uint32_t trusted_hops);

}  // namespace zmesh::rbac
