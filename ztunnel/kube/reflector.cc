#include "kube/reflector.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "kube/api_objects.h"
#include "kube/relist_diff.h"

namespace zmesh::kube {
namespace {

namespace asio = boost::asio;

// A watch that ends sooner than this without an event counts as a failure (backs off):
// a server that accepts and at once closes must not make a loop of it.
constexpr auto kShortWatch = std::chrono::seconds(1);

std::string status_text(const HttpResponse& r) {
  return "HTTP " + std::to_string(r.status) + ": " + describe_error_body(r.body);
}

}  // namespace

Reflector::Reflector(std::shared_ptr<ApiClient> client, const config::KindInfo& kind,
                     ReflectorOptions options, OnDeltas on_deltas)
    : client_(std::move(client)), kind_(kind), options_(options), on_deltas_(std::move(on_deltas)) {
  resource_.group = std::string(kind.group);
  resource_.plural = plural_of(kind.kind);
  if (!kind.only_name.empty()) {
    resource_.field_selector = "metadata.name=" + std::string(kind.only_name);
  }
  if (resource_.group.empty()) resource_.version = "v1";  // the core API has one version
}

void Reflector::start(asio::any_io_executor executor) {
  executor_ = executor;
  asio::co_spawn(
      executor, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void Reflector::stop() {
  stopped_ = true;
}

std::string Reflector::what() const {
  return resource_.plural +
         (resource_.version.empty() ? "" : " (" + api_version_of(resource_) + ")");
}

void Reflector::note_failure(const std::string& message) const {
  // While the server is down every kind fails on each backoff step: warn for the first
  // failure in a row and every tenth, the rest at debug.
  unsigned n = backoff_.failures();
  spdlog::log(n == 0 || n % 10 == 0 ? spdlog::level::warn : spdlog::level::debug, "{}{}", message,
              n == 0 ? "" : " (" + std::to_string(n + 1) + " failures in a row)");
}

void Reflector::deliver(std::vector<Delta> deltas, Clock::time_point received) {
  if (!stopped_) on_deltas_(std::move(deltas), received);
}

asio::awaitable<void> Reflector::sleep(std::chrono::milliseconds delay) {
  asio::steady_timer timer(executor_, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<RetryPlan> Reflector::back_off(unsigned status,
                                               const std::optional<std::string>& retry_after) {
  std::optional<std::chrono::seconds> after;
  if (retry_after) after = parse_retry_after(*retry_after, std::chrono::system_clock::now());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  RetryPlan plan = plan_retry(status, after, backoff_, unit(random_));
  if (plan.delay.count() > 0) co_await sleep(plan.delay);
  co_return plan;
}

asio::awaitable<void> Reflector::run() {
  // No co_await inside && or ?: here: GCC 12 miscompiles those (SIGILL at run time).
  while (!stopped_) {
    if (resource_.version.empty()) {
      bool found = co_await discover();
      if (!found) continue;
    }
    if (stopped_) break;
    bool listed = co_await list();
    if (!listed) continue;
    co_await watch();
  }
}

asio::awaitable<bool> Reflector::discover() {
  auto reply = co_await client_->get(discovery_path(resource_.group), options_.request_timeout);
  if (stopped_) co_return false;
  if (!reply) {
    note_failure(fmt::format("kube: discovery of {}: {}", resource_.group, reply.error().message));
    co_await back_off(0, std::nullopt);
    co_return false;
  }
  if (reply->status == 404) {
    // Not installed (e.g. no Istio CRDs): nothing of this kind serves. Count the kind as
    // synced, so the rest of the config is not held back, and look again later.
    spdlog::info("kube: the server does not serve {}; looking again in {}s", resource_.group,
                 options_.absent_group_retry.count());
    if (!cache_.empty()) {
      std::vector<Delta> gone;
      for (const auto& [key, rv] : cache_) gone.push_back({key, std::nullopt});
      cache_.clear();
      deliver(std::move(gone), Clock::now());
    } else {
      deliver({}, Clock::now());
    }
    co_await sleep(options_.absent_group_retry);
    co_return false;
  }
  if (reply->status != 200) {
    note_failure(fmt::format("kube: discovery of {}: {}", resource_.group, status_text(*reply)));
    co_await back_off(reply->status, reply->retry_after);
    co_return false;
  }
  auto version = choose_version(reply->body, kind_.versions);
  if (!version) {
    spdlog::warn("kube: {} {}: {}; looking again in {}s", resource_.group, kind_.kind,
                 version.error().message, options_.absent_group_retry.count());
    deliver({}, Clock::now());
    co_await sleep(options_.absent_group_retry);
    co_return false;
  }
  resource_.version = *version;
  api_version_ = api_version_of(resource_);
  co_return true;
}

asio::awaitable<bool> Reflector::list() {
  if (api_version_.empty()) api_version_ = api_version_of(resource_);
  std::vector<ApiObject> items;
  std::string continue_token, list_rv;
  for (;;) {
    auto reply = co_await client_->get(list_path(resource_, options_.page_size, continue_token),
                                       options_.request_timeout);
    if (stopped_) co_return false;
    if (!reply) {
      note_failure(fmt::format("kube: list {}: {}", what(), reply.error().message));
      co_await back_off(0, std::nullopt);
      co_return false;
    }
    if (reply->status == 410 && !continue_token.empty()) {
      // The continue token expired (compaction between pages): start over.
      spdlog::info("kube: list {}: continue token expired; listing again", what());
      items.clear();
      continue_token.clear();
      continue;
    }
    if (reply->status != 200) {
      note_failure(fmt::format("kube: list {}: {}", what(), status_text(*reply)));
      if (reply->status == 404) resource_.version.clear();  // the version went away: rediscover
      co_await back_off(reply->status, reply->retry_after);
      co_return false;
    }
    auto page = parse_list_page(reply->body, api_version_, std::string(kind_.kind));
    if (!page) {
      spdlog::warn("kube: list {}: {}", what(), page.error().message);
      co_await back_off(0, std::nullopt);
      co_return false;
    }
    for (auto& item : page->items) items.push_back(std::move(item));
    list_rv = page->resource_version;
    continue_token = page->continue_token;
    if (continue_token.empty()) break;
  }
  auto received = Clock::now();
  RelistDiff diff = diff_relist(cache_, items);
  std::vector<Delta> deltas;
  deltas.reserve(diff.upserts.size() + diff.deletes.size());
  for (const auto& key : diff.deletes) {
    cache_.erase(key);
    deltas.push_back({key, std::nullopt});
  }
  for (size_t i : diff.upserts) {
    cache_[items[i].key()] = items[i].resource_version;
    deltas.push_back({items[i].key(), std::move(items[i].json)});
  }
  resource_version_ = list_rv;
  spdlog::info("kube: listed {} {} at resourceVersion {} ({} changed, {} deleted)", items.size(),
               what(), list_rv, diff.upserts.size(), diff.deletes.size());
  deliver(std::move(deltas), received);
  co_return true;
}

asio::awaitable<void> Reflector::watch() {
  std::uniform_int_distribution<int> spread(0, static_cast<int>(options_.min_watch.count()));
  while (!stopped_) {
    int timeout = static_cast<int>(options_.min_watch.count()) + spread(random_);
    auto started = Clock::now();
    auto reply = co_await client_->stream(watch_path(resource_, resource_version_, timeout),
                                          std::chrono::seconds(timeout + 30));
    if (stopped_) co_return;
    if (!reply) {
      note_failure(fmt::format("kube: watch {}: {}", what(), reply.error().message));
      co_await back_off(0, std::nullopt);
      continue;
    }
    if (reply->head.status != 200) {
      const HttpResponse& head = reply->head;
      if (head.status == 410) {
        spdlog::info("kube: watch {}: resourceVersion {} is gone (410); listing again", what(),
                     resource_version_);
      } else {
        note_failure(fmt::format("kube: watch {}: {}", what(), status_text(head)));
      }
      if (head.status == 404) resource_.version.clear();
      RetryPlan plan = co_await back_off(head.status, head.retry_after);
      if (plan.relist || head.status == 404) co_return;
      continue;
    }
    bool any_event = false, relist = false, failed = false;
    for (;;) {
      auto line = co_await reply->lines->next_line();
      if (stopped_) co_return;
      if (!line) {
        spdlog::debug("kube: watch {} ended: {}", what(), line.error().message);
        break;
      }
      if (!*line) break;  // the server ended the watch (timeoutSeconds): resume
      if ((*line)->empty()) continue;
      auto received = Clock::now();
      auto event = parse_watch_event(**line, api_version_, std::string(kind_.kind));
      if (!event) {
        spdlog::warn("kube: watch {}: {}", what(), event.error().message);
        continue;
      }
      any_event = true;
      if (event->type == EventType::kError) {
        if (event->error_code == 410) {
          spdlog::info("kube: watch {}: {} (410); listing again", what(), event->error_message);
          relist = true;
        } else {
          spdlog::warn("kube: watch {}: error event {}: {}", what(), event->error_code,
                       event->error_message);
          failed = true;
        }
        break;
      }
      resource_version_ = event->object.resource_version;
      if (event->type == EventType::kBookmark) continue;
      std::string key = event->object.key();
      if (event->type == EventType::kDeleted) {
        cache_.erase(key);
        deliver({{std::move(key), std::nullopt}}, received);
      } else {
        cache_[key] = event->object.resource_version;
        deliver({{std::move(key), std::move(event->object.json)}}, received);
      }
    }
    if (relist) {
      RetryPlan plan = co_await back_off(410, std::nullopt);
      (void)plan;
      co_return;
    }
    if (!failed && (any_event || Clock::now() - started >= kShortWatch)) {
      backoff_.reset();
    } else {
      co_await back_off(0, std::nullopt);
    }
  }
}

}  // namespace zmesh::kube
