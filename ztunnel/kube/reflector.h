// Keeps one kind's objects in step with the API server, as client-go's reflector does:
// pick the version (core: v1; other groups: the server's preferred one if the registry
// accepts it, else the first accepted one it serves), LIST in pages, then WATCH from the
// list's resourceVersion with bookmarks, moving the resourceVersion on every event.
// A watch that times out or ends is resumed from the last resourceVersion; 410 Gone (HTTP
// or an ERROR event) re-lists and diffs against the cache, synthesising the deletes the
// watch missed. Failures back off with jitter (Retry-After on 429/5xx). Only GET requests.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/kind_registry.h"
#include "kube/api_client.h"
#include "kube/api_paths.h"
#include "kube/retry_policy.h"

namespace zmesh::kube {

// One object's change: its JSON (apiVersion and kind set), or nullopt when it is gone.
struct Delta {
  std::string key;  // "ns/name" (or "name" for cluster-scoped kinds)
  std::optional<std::string> json;
};

struct ReflectorOptions {
  size_t page_size = 500;
  std::chrono::seconds request_timeout{60};  // discovery and each LIST page
  // Each watch asks the server to end it after a random time in [min_watch, 2 * min_watch),
  // so that many nodes do not re-watch together (client-go: 5 minutes).
  std::chrono::seconds min_watch{300};
  // Discovery of a group the server does not serve (CRDs not installed) is retried this often.
  std::chrono::seconds absent_group_retry{30};
};

class Reflector : public std::enable_shared_from_this<Reflector> {
 public:
  using Clock = std::chrono::steady_clock;
  // Changes of this kind, with the time the server's reply carrying them was read.
  using OnDeltas = std::function<void(std::vector<Delta> deltas, Clock::time_point received)>;

  Reflector(std::shared_ptr<ApiClient> client, const config::KindInfo& kind,
            ReflectorOptions options, OnDeltas on_deltas);

  // Runs until stop(); `on_deltas` is called on `executor`. The first call (possibly with no
  // deltas) marks the end of the initial LIST, or that the kind's group is not served.
  void start(boost::asio::any_io_executor executor);
  // No callback after this; a request in flight ends at its deadline.
  void stop();

  const config::KindInfo& kind() const { return kind_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> discover();  // true when resource_.version is set
  boost::asio::awaitable<bool> list();      // true when the cache matches a fresh LIST
  boost::asio::awaitable<void> watch();     // returns when a re-list is needed
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay);
  // Waits as plan_retry says for a failed request; returns the plan.
  boost::asio::awaitable<RetryPlan> back_off(unsigned status,
                                             const std::optional<std::string>& retry_after);
  void deliver(std::vector<Delta> deltas, Clock::time_point received);
  void note_failure(const std::string& message) const;
  std::string what() const;  // "pods (v1)" for logs

  std::shared_ptr<ApiClient> client_;
  const config::KindInfo& kind_;
  ReflectorOptions options_;
  OnDeltas on_deltas_;
  boost::asio::any_io_executor executor_;
  Resource resource_;
  std::string api_version_;                   // "networking.istio.io/v1"
  std::string resource_version_;              // where the next watch starts
  std::map<std::string, std::string> cache_;  // key -> resourceVersion
  Backoff backoff_;
  std::mt19937 random_{std::random_device{}()};
  bool stopped_ = false;
};

}  // namespace zmesh::kube
