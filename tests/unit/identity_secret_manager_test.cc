// SecretManager: first issuance, renewal at half life, retry with backoff while the old
// certificate keeps serving, wait_ready timeouts, re-issue on a roots change, and slots whose
// handles are gone stop being renewed. Real CA and OpenSSL; a test double in front of the CA
// fails on demand.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <functional>
#include <optional>

#include "identity/secret_manager.h"

namespace zmesh::identity {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using CredsPtr = std::shared_ptr<const TlsCredentials>;

// Signs with a real CA, but the next `fail_next` calls fail.
class FlakySource : public CertificateSource {
 public:
  explicit FlakySource(const CertificateAuthority& ca) : ca_(ca) {}
  asio::awaitable<Result<SignedChain>> sign(std::string csr_pem, SpiffeId identity,
                                            std::chrono::seconds ttl) override {
    ++calls;
    call_times.push_back(SteadyClock::now());
    identities.push_back(identity);
    if (on_sign) on_sign();
    if (fail_next > 0) {
      --fail_next;
      co_return make_error("CA unavailable");
    }
    co_return ca_.sign(csr_pem, identity, ttl);
  }
  bool trust_changed() override { return std::exchange(roots_flag, false); }
  std::string describe() const override { return "test CA"; }

  int fail_next = 0;
  int calls = 0;
  std::vector<SteadyClock::time_point> call_times;
  std::vector<SpiffeId> identities;
  std::function<void()> on_sign;
  bool roots_flag = false;

 private:
  const CertificateAuthority& ca_;
};

class SecretManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "zmesh-sm-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto ca = CertificateAuthority::load_or_create_embedded(dir_, "cluster.local");
    ASSERT_TRUE(ca) << ca.error().message;
    ca_ = std::move(*ca);
    source_.emplace(*ca_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SecretManager make(std::chrono::seconds ttl, std::chrono::milliseconds backoff = 100ms) {
    return SecretManager(io_.get_executor(), *source_,
                         SecretOptions{.trust_domain = "cluster.local",
                                       .ttl = ttl,
                                       .initial_backoff = backoff,
                                       .max_backoff = backoff * 4});
  }

  // Runs the io_context until `body` finishes (or a generous limit passes).
  void run(std::function<asio::awaitable<void>()> body) {
    bool done = false;
    auto wrapper = [&]() -> asio::awaitable<void> {
      co_await body();
      done = true;
    };
    asio::co_spawn(io_, wrapper, asio::detached);
    auto limit = SteadyClock::now() + 10s;
    while (!done && SteadyClock::now() < limit) io_.run_one_for(50ms);
    ASSERT_TRUE(done) << "test body did not finish";
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(io_, d);
    co_await t.async_wait(asio::use_awaitable);
  }

  // Polls (on the io thread) until `pred` holds or `limit` passes.
  asio::awaitable<bool> eventually(std::function<bool()> pred, std::chrono::milliseconds limit) {
    auto end = SteadyClock::now() + limit;
    while (!pred()) {
      if (SteadyClock::now() > end) co_return false;
      co_await sleep(20ms);
    }
    co_return true;
  }

  static std::string serial(const std::shared_ptr<IdentitySlot>& slot) {
    auto c = slot->current();
    return c ? c->cert->serial : "";
  }

  asio::io_context io_;
  std::string dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::optional<FlakySource> source_;
  SpiffeId web_{"cluster.local", "shop", "web"};
  SpiffeId db_{"cluster.local", "shop", "db"};
};

TEST_F(SecretManagerTest, FirstIssuance) {
  auto sm = make(3600s);
  auto slot = sm.track(web_);
  EXPECT_EQ(sm.track(web_), slot);  // joins the existing slot
  EXPECT_EQ(slot->current(), nullptr);
  auto pending = sm.to_json();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["state"], "pending");
  EXPECT_EQ(pending[0]["identity"], web_.uri());

  run([&]() -> asio::awaitable<void> {
    auto creds = co_await sm.wait_ready(slot, 5000ms);
    EXPECT_TRUE(creds) << creds.error().message;
    if (!creds) co_return;
    EXPECT_EQ(*creds, slot->current());
    EXPECT_EQ((*creds)->cert->identity, web_);
    EXPECT_NE((*creds)->server, nullptr);
    EXPECT_NE((*creds)->client, nullptr);
  });
  auto j = sm.to_json();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["state"], "valid");
  EXPECT_EQ(j[0]["last_error"], "");
  EXPECT_EQ(j[0]["serial"], serial(slot));
  EXPECT_EQ(j[0]["chain"].size(), 1u);
  EXPECT_EQ(source_->calls, 1);
}

TEST_F(SecretManagerTest, RenewsAtHalfLifeWithANewSerial) {
  auto sm = make(2s);
  auto slot = sm.track(web_);
  run([&]() -> asio::awaitable<void> {
    auto first = co_await sm.wait_ready(slot, 5000ms);
    EXPECT_TRUE(first);
    if (!first) co_return;
    std::string s1 = serial(slot);
    bool renewed = co_await eventually([&] { return serial(slot) != s1; }, 4000ms);
    EXPECT_TRUE(renewed);
    EXPECT_GT(slot->current()->cert->not_after, (*first)->cert->not_after);
    EXPECT_EQ(slot->current()->cert->identity, web_);
  });
}

TEST_F(SecretManagerTest, FailedRenewalRetriesWithBackoffAndKeepsServing) {
  auto sm = make(2s, 100ms);
  auto slot = sm.track(web_);
  std::vector<std::string> served_during_calls;
  nlohmann::json json_while_failing;
  run([&]() -> asio::awaitable<void> {
    auto first = co_await sm.wait_ready(slot, 5000ms);
    EXPECT_TRUE(first);
    if (!first) co_return;
    std::string s1 = serial(slot);
    source_->fail_next = 3;
    source_->on_sign = [&] {
      served_during_calls.push_back(serial(slot));
      if (source_->calls == 4) json_while_failing = sm.to_json();  // after two failures
    };
    bool renewed = co_await eventually([&] { return serial(slot) != s1; }, 6000ms);
    EXPECT_TRUE(renewed);
    // Every renewal attempt (3 failing, 1 succeeding) ran while the first certificate served.
    EXPECT_EQ(served_during_calls, std::vector<std::string>(4, s1));
  });
  ASSERT_EQ(source_->calls, 5);
  ASSERT_EQ(json_while_failing.size(), 1u);
  EXPECT_EQ(json_while_failing[0]["state"], "retrying");
  EXPECT_NE(std::string(json_while_failing[0]["last_error"]).find("CA unavailable"),
            std::string::npos);
  EXPECT_FALSE(json_while_failing[0]["serial"].empty());  // still has the valid certificate
  // Backoff grows: 100, 200, 400 ms (jitter only shortens, by up to 20%). Timers never fire
  // early, so these lower bounds hold on any machine.
  auto& t = source_->call_times;
  EXPECT_GE(t[2] - t[1], 80ms);
  EXPECT_GE(t[3] - t[2], 160ms);
  EXPECT_GE(t[4] - t[3], 320ms);
  EXPECT_EQ(sm.to_json()[0]["state"], "valid");
}

TEST_F(SecretManagerTest, FirstIssuanceRetriesUntilItSucceeds) {
  source_->fail_next = 2;
  auto sm = make(3600s, 20ms);
  auto slot = sm.track(web_);
  run([&]() -> asio::awaitable<void> {
    auto creds = co_await sm.wait_ready(slot, 5000ms);
    EXPECT_TRUE(creds) << creds.error().message;
  });
  EXPECT_EQ(source_->calls, 3);
}

TEST_F(SecretManagerTest, WaitReadyTimesOutWithTheLastError) {
  source_->fail_next = 1000;
  auto sm = make(3600s, 50ms);
  auto slot = sm.track(web_);
  run([&]() -> asio::awaitable<void> {
    auto creds = co_await sm.wait_ready(slot, 300ms);
    EXPECT_FALSE(creds);
    if (creds) co_return;
    EXPECT_NE(creds.error().message.find("CA unavailable"), std::string::npos)
        << creds.error().message;
    EXPECT_NE(creds.error().message.find(web_.uri()), std::string::npos);
  });
  auto j = sm.to_json();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["state"], "retrying");
  EXPECT_FALSE(j[0].contains("serial"));
  EXPECT_EQ(slot->current(), nullptr);
}

TEST_F(SecretManagerTest, DroppedHandleStopsTracking) {
  auto sm = make(2s);
  auto slot = sm.track(web_);
  auto keep = sm.track(db_);
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await sm.wait_ready(slot, 5000ms));
    EXPECT_TRUE(co_await sm.wait_ready(keep, 5000ms));
  });
  ASSERT_EQ(sm.to_json().size(), 2u);
  slot.reset();
  auto j = sm.to_json();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["identity"], db_.uri());

  // db keeps renewing (every ~1 s); web, untracked, does not.
  auto web_calls = [&] { return std::ranges::count(source_->identities, web_); };
  auto web_before = web_calls();
  std::string db_serial = serial(keep);
  run([&]() -> asio::awaitable<void> {
    bool renewed = co_await eventually([&] { return serial(keep) != db_serial; }, 4000ms);
    EXPECT_TRUE(renewed);
    co_await sleep(1500ms);
  });
  EXPECT_EQ(web_calls(), web_before);
  auto again = sm.track(web_);  // tracking anew starts a fresh slot
  EXPECT_EQ(again->current(), nullptr);
}

TEST_F(SecretManagerTest, RootsChangeReissuesEverySlot) {
  auto sm = make(3600s);
  auto a = sm.track(web_);
  auto b = sm.track(db_);
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await sm.wait_ready(a, 5000ms));
    EXPECT_TRUE(co_await sm.wait_ready(b, 5000ms));
    std::string sa = serial(a), sb = serial(b);
    source_->roots_flag = true;
    bool both = co_await eventually([&] { return serial(a) != sa && serial(b) != sb; }, 3000ms);
    EXPECT_TRUE(both);
  });
  EXPECT_EQ(source_->calls, 4);
}

TEST_F(SecretManagerTest, WaitReadyEndsWhenTheManagerGoesAway) {
  source_->fail_next = 1000;
  auto sm = std::make_unique<SecretManager>(
      io_.get_executor(), *source_,
      SecretOptions{.ttl = 3600s, .initial_backoff = 50ms, .max_backoff = 200ms});
  auto slot = sm->track(web_);
  std::optional<Result<CredsPtr>> result;
  auto waiter = [&]() -> asio::awaitable<void> {
    result.emplace(co_await sm->wait_ready(slot, 60000ms));
  };
  asio::co_spawn(io_, waiter, asio::detached);
  run([&]() -> asio::awaitable<void> {
    co_await sleep(200ms);
    sm.reset();
    co_await sleep(200ms);
  });
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
  EXPECT_NE(result->error().message.find("stopped"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::identity
