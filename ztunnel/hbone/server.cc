#include "hbone/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "hbone/session.h"

namespace zmesh::hbone {
namespace asio = boost::asio;

asio::awaitable<void> serve(std::shared_ptr<TlsSocket> socket, SessionOptions options,
                            ConnectHandler on_connect) {
  auto session =
      std::make_shared<detail::Session>(std::move(socket), detail::Session::Role::kServer, options);
  if (on_connect) {
    auto executor = session->executor();
    session->set_request_handler(
        [executor, handler = std::move(on_connect)](std::shared_ptr<Stream> stream) {
          asio::co_spawn(executor, handler(std::move(stream)), asio::detached);
        });
  }
  co_await detail::Session::run(std::move(session));
}

}  // namespace zmesh::hbone
