// Name resolution bounded by a deadline, for clients that dial by name (the Kubernetes API
// client, the remote CA client): Asio's resolver has no deadline of its own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "common/result.h"

namespace zmesh {

// Resolves host:port. Past `deadline` the lookup is cancelled and the error reads
// "resolve <host>: timed out"; other failures "resolve <host>: <reason>".
boost::asio::awaitable<Result<boost::asio::ip::tcp::resolver::results_type>> resolve(
    boost::asio::any_io_executor executor, std::string host, std::string port,
    std::chrono::steady_clock::time_point deadline);

}  // namespace zmesh
