#include "app/jwks_fetcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "app/http_get.h"
#include "state/request_authentication.h"

namespace zmesh::app {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Shared by the fetcher and its coroutine: the coroutine holds only this, and touches the
// store only while `stopped` is false (the fetcher sets it before it, or the store, goes).
struct JwksFetcher::Job {
  Job(asio::any_io_executor executor, std::string u) : uri(std::move(u)), timer(executor) {}
  std::string uri;
  jwt::JwksStore* store = nullptr;
  std::shared_ptr<asio::ssl::context> tls;
  milliseconds timeout{5000};
  milliseconds refresh{20 * 60 * 1000};
  milliseconds first_backoff{1000};
  asio::steady_timer timer;
  bool stopped = false;
  std::string last_error;  // the last error logged, so retries do not repeat it
};

namespace {

// One fetch: the outcome as an error, or the key count stored.
asio::awaitable<Result<size_t>> fetch_once(std::shared_ptr<JwksFetcher::Job> job) {
  auto url = parse_url(job->uri);
  if (!url) co_return url.error();
  auto deadline = std::chrono::steady_clock::now() + job->timeout;
  auto reply = co_await http_get(job->timer.get_executor(), job->tls, *url, deadline);
  if (job->stopped) co_return make_error("stopped");
  if (!reply) co_return reply.error();
  if (reply->status != 200) co_return make_error("HTTP status " + std::to_string(reply->status));
  if (auto r = job->store->update(job->uri, reply->body); !r) co_return r.error();
  auto keys = job->store->keys_for([&] {
    state::JwtRule rule;
    rule.jwks_uri = job->uri;
    return rule;
  }());
  co_return keys.keys ? keys.keys->keys.size() : 0;
}

asio::awaitable<void> run(std::shared_ptr<JwksFetcher::Job> job) {
  milliseconds backoff = job->first_backoff;
  while (!job->stopped) {
    auto outcome = co_await fetch_once(job);
    if (job->stopped) break;
    milliseconds wait = job->refresh;
    if (outcome) {
      spdlog::info("jwks: {}: fetched, {} key(s)", job->uri, *outcome);
      job->last_error.clear();
      backoff = job->first_backoff;
    } else {
      const std::string& error = outcome.error().message;
      job->store->failed(job->uri, error);
      if (error != job->last_error) {
        spdlog::warn("jwks: {}: {} (previous keys, if any, keep serving; retrying)", job->uri,
                     error);
        job->last_error = error;
      }
      wait = std::min(backoff, job->refresh);
      backoff = std::min(backoff * 2, job->refresh);
    }
    job->timer.expires_after(wait);
    boost::system::error_code ec;
    co_await job->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::shared_ptr<asio::ssl::context> client_tls(const std::string& extra_ca_file) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  tls->set_default_verify_paths(ec);
  if (ec) spdlog::warn("jwks: system trusted roots: {}", ec.message());
  if (!extra_ca_file.empty()) {
    tls->load_verify_file(extra_ca_file, ec);
    if (ec) spdlog::error("jwks: --jwks-ca-file {}: {}", extra_ca_file, ec.message());
  }
  return tls;
}

}  // namespace

JwksFetcher::JwksFetcher(asio::any_io_executor control, jwt::JwksStore& store,
                         JwksFetcherOptions options)
    : control_(std::move(control)),
      store_(store),
      options_(std::move(options)),
      tls_(client_tls(options_.extra_ca_file)) {}

JwksFetcher::~JwksFetcher() {
  for (auto& [uri, job] : jobs_) {
    job->stopped = true;
    job->timer.cancel();
  }
}

void JwksFetcher::on_snapshot(const state::Snapshot& snapshot) {
  auto uris = snapshot.request_authns().jwks_uris();
  // A rule's own fetch timeout wins; with several rules naming a URI, the longest.
  std::map<std::string, milliseconds> timeouts;
  for (const auto& object : snapshot.objects<state::RequestAuthentication>()) {
    for (const auto& rule : object->jwt_rules) {
      if (rule.jwks_uri.empty() || !rule.timeout) continue;
      auto& t = timeouts[rule.jwks_uri];
      t = std::max(t, *rule.timeout);
    }
  }
  std::set<std::string> named(uris.begin(), uris.end());
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (named.count(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("jwks: {}: no longer named, forgotten", it->first);
    it->second->stopped = true;
    it->second->timer.cancel();
    store_.forget(it->first);
    it = jobs_.erase(it);
  }
  milliseconds refresh = std::max<milliseconds>(options_.refresh, milliseconds(1));
  for (const auto& uri : uris) {
    auto timeout = timeouts.count(uri) ? timeouts[uri] : options_.timeout;
    if (auto it = jobs_.find(uri); it != jobs_.end()) {
      it->second->timeout = timeout;
      continue;
    }
    auto job = std::make_shared<Job>(control_, uri);
    job->store = &store_;
    job->tls = tls_;
    job->timeout = timeout;
    job->refresh = refresh;
    jobs_.emplace(uri, job);
    asio::co_spawn(control_, run(std::move(job)), asio::detached);
  }
}

}  // namespace zmesh::app
