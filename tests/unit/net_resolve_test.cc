// The client steps shared by the Kubernetes API client and the remote CA client: the error
// spelling of a failed step, and name resolution under a deadline.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "net/resolve.h"
#include "net/step_error.h"

namespace zmesh {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(StepError, NamesTheStepAndSaysTimedOutForBeastsTimeout) {
  EXPECT_EQ(step_error("read reply", boost::beast::error::timeout).message,
            "read reply: timed out");
  boost::system::error_code refused = asio::error::connection_refused;
  EXPECT_EQ(step_error("connect", refused).message, "connect: " + refused.message());
}

Result<asio::ip::tcp::resolver::results_type> resolve_now(const std::string& host,
                                                          const std::string& port) {
  asio::io_context io;
  std::optional<Result<asio::ip::tcp::resolver::results_type>> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.emplace(co_await resolve(io.get_executor(), host, port,
                                     std::chrono::steady_clock::now() + 10s));
      },
      asio::detached);
  io.run();
  return std::move(*out);
}

TEST(Resolve, NumericAddressNeedsNoLookup) {
  auto r = resolve_now("127.0.0.1", "15012");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->begin()->endpoint(),
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 15012));
}

TEST(Resolve, FailureNamesTheHost) {
  auto r = resolve_now("127.0.0.1", "not-a-port-name");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("resolve 127.0.0.1: ")) << r.error().message;
}

}  // namespace
}  // namespace zmesh
