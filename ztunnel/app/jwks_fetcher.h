// Keeps the JwksStore filled with every jwksUri the RequestAuthentications name: fetched over
// HTTP or HTTPS (system roots plus --jwks-ca-file, host name checked) on the control
// io_context when first named, refreshed periodically, retried with backoff on failure while
// the previous keys keep serving. Forgets URIs no longer named.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "jwt/jwks_store.h"
#include "state/snapshot.h"

namespace zmesh::app {

struct JwksFetcherOptions {
  std::chrono::seconds refresh{20 * 60};    // istiod's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL
  std::string extra_ca_file;                // --jwks-ca-file: more trusted roots for https
  std::chrono::milliseconds timeout{5000};  // per fetch (a rule's `timeout` when set wins)
};

class JwksFetcher {
 public:
  // Lives on the control thread; `store` must outlive it.
  JwksFetcher(boost::asio::any_io_executor control, jwt::JwksStore& store,
              JwksFetcherOptions options);
  ~JwksFetcher();
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // With every new snapshot (control thread): URIs not seen before are fetched at once, URIs
  // no longer named are forgotten (store included); each known URI is refreshed every
  // `refresh`; a failed fetch is retried with backoff (1 s doubling up to `refresh`)
  // while the previous keys keep serving. Every outcome is one log line (uri, status or
  // error, key count); the same error again on retries is not logged again.
  void on_snapshot(const state::Snapshot& snapshot);

  struct Job;  // one URI's fetch loop (jwks_fetcher.cc)

 private:
  boost::asio::any_io_executor control_;
  jwt::JwksStore& store_;
  JwksFetcherOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // by uri
};

}  // namespace zmesh::app
