// A worker's HTTP/2 upstream connections, shared by concurrent requests: per pool key (pod,
// destination, endpoint: as the HTTP/1.1 UpstreamPool), as Envoy's per-worker HTTP/2 pools.
// A request takes a stream on a connection with room (fewer exchanges than the server's
// MAX_CONCURRENT_STREAMS); when all are full it opens another, if the destination's
// kConnections breaker (maxConnections) allows, else it waits for room as a pending request
// (http1MaxPendingRequests, else overflow). A worker with no usable connection to the key
// opens one whatever the breaker says, as for HTTP/1.1, so that it never waits on another
// worker's. A connection that has carried maxRequestsPerConnection streams takes no more and
// closes once they are done; one idle for its idle timeout (http.idleTimeout) closes, one older
// than maxConnectionDuration drains (GOAWAY).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "l7/h2_upstream_connection.h"
#include "upstream/circuit_breaker.h"

namespace zmesh::l7 {

// One request's hold on a connection (counted against its capacity until released).
class H2Lease {
 public:
  H2Lease() = default;
  explicit H2Lease(std::shared_ptr<H2UpstreamConnection> connection);
  H2Lease(H2Lease&& other) noexcept = default;
  H2Lease& operator=(H2Lease&& other) noexcept;
  ~H2Lease() { reset(); }

  void reset();
  explicit operator bool() const { return connection_ != nullptr; }
  H2UpstreamConnection* operator->() const { return connection_.get(); }
  H2UpstreamConnection& operator*() const { return *connection_; }

 private:
  std::shared_ptr<H2UpstreamConnection> connection_;
};

struct H2Acquired {
  enum class Failure {
    kNone,
    kOverflow,        // the kPendingRequests breaker said no
    kTimeout,         // no stream before the deadline
    kConnectFailure,  // the connection opened for it failed before it was ready
  };
  Failure failure = Failure::kNone;
  std::string error;
  H2Lease lease;       // a ready connection (kNone)
  bool fresh = false;  // opened for this request
};

class H2UpstreamPool {
 public:
  using Clock = std::chrono::steady_clock;
  // Opens the byte stream of a new connection; may fill in the connection's peer fields.
  using Opener =
      std::function<boost::asio::awaitable<Result<std::unique_ptr<transport::UpstreamChannel>>>(
          H2UpstreamConnection&)>;

  // `breaker_owner` keeps `breaker` alive as long as a connection counts in it. `options` is
  // used for a connection opened now.
  boost::asio::awaitable<H2Acquired> acquire(const std::string& key,
                                             upstream::CircuitBreaker& breaker,
                                             std::shared_ptr<const void> breaker_owner,
                                             const H2UpstreamOptions& options, const Opener& open,
                                             std::optional<Clock::time_point> deadline);

  // Connections to `key` not closed yet (busy, idle or draining).
  size_t connections(const std::string& key) const;

 private:
  // Node-based: a key's list stays where it is while coroutines wait.
  std::unordered_map<std::string, std::vector<std::shared_ptr<H2UpstreamConnection>>> pools_;
};

}  // namespace zmesh::l7
