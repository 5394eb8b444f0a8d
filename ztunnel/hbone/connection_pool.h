// HBONE client side: a per-worker pool of HTTP/2-over-mTLS connections, keyed by (source
// identity + its certificate serial, destination ip:15008). A new stream reuses a pooled
// connection with room under max_concurrent_streams, else opens one more. Keying by serial
// means a renewed certificate is used by new tunnels at once while old connections drain.
// Not thread-safe: one pool per worker, used only on that worker's executor.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "hbone/session_options.h"
#include "hbone/stream.h"

namespace zmesh::hbone {

struct PoolKey {
  std::string source;  // source identity and certificate serial, e.g. "spiffe://...#1a2b"
  boost::asio::ip::tcp::endpoint hbone_addr;  // destination pod ip:15008
};

struct ConnectOptions {
  // Opens the TCP connection (the proxy creates it inside the source pod's netns, marked),
  // on the pool's executor.
  std::function<boost::asio::awaitable<Result<boost::asio::ip::tcp::socket>>(
      const boost::asio::ip::tcp::endpoint&)>
      dial;
  // Client TLS context of the source identity; kept alive by the pool while connections use it.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Checks the server after the handshake (expected SPIFFE id); an error fails the connect.
  std::function<Result<void>(const SSL*)> verify_peer;
};

class ConnectionPool {
 public:
  // `reuse` false: every stream gets its own connection, closed when the stream ends (to
  // measure the handshake cost; never the default).
  ConnectionPool(boost::asio::any_io_executor executor, SessionOptions options, bool reuse = true);
  ~ConnectionPool();  // GOAWAY to every pooled connection; open streams finish first
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Opens a CONNECT stream for `request` through a pooled or new connection. Fails with
  // the reason (dial, TLS, verify, or a non-200 status: "CONNECT answered 503").
  boost::asio::awaitable<Result<std::shared_ptr<Stream>>> connect(const PoolKey& key,
                                                                  const ConnectOptions& options,
                                                                  ConnectRequest request);

  size_t connections() const;  // open pooled connections (for tests and /config_dump)

 private:
  boost::asio::awaitable<Result<std::shared_ptr<Stream>>> connect_unpooled(
      const PoolKey& key, const ConnectOptions& options, ConnectRequest request);

  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zmesh::hbone
