// Opening one client HBONE connection (internal): dial, TLS handshake offering ALPN h2,
// ALPN and peer checks, then an HTTP/2 session ready to run.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "common/result.h"
#include "hbone/connection_pool.h"
#include "hbone/session.h"

namespace zmesh::hbone::detail {

boost::asio::awaitable<Result<std::shared_ptr<Session>>> dial_session(
    boost::asio::ip::tcp::endpoint address, const ConnectOptions& options,
    const SessionOptions& session_options);

}  // namespace zmesh::hbone::detail
