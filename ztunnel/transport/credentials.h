// A pod's current TLS credentials as a connection handler needs them. Enrollment starts the
// first issuance on the control thread; a connection can arrive a few milliseconds before it
// completes, so handlers wait for it (bounded) instead of failing.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "identity/secret_manager.h"

namespace zmesh::transport {

inline constexpr std::chrono::milliseconds kCredentialsWait{5000};

// Null when the pod has no identity slot or no certificate arrived within `wait`.
boost::asio::awaitable<std::shared_ptr<const identity::TlsCredentials>> pod_credentials(
    const identity::IdentitySlot* slot, std::chrono::milliseconds wait = kCredentialsWait);

}  // namespace zmesh::transport
