#include "routing/destination.h"

#include <algorithm>
#include <functional>
#include <tuple>
#include <unordered_map>
#include <variant>

#include "routing/l7_config.h"
#include "upstream/make_load_balancer.h"
#include "upstream/subset.h"

namespace zmesh::routing {
namespace {

const upstream::SteadyClock kClock;

bool same_outlier(const upstream::OutlierConfig& a, const upstream::OutlierConfig& b) {
  auto t = [](const upstream::OutlierConfig& c) {
    return std::tie(c.consecutive_5xx, c.consecutive_gateway_errors, c.split_local_origin,
                    c.consecutive_local_origin_failures, c.interval, c.base_ejection_time,
                    c.max_ejection_time, c.max_ejection_percent, c.min_health_percent);
  };
  return t(a) == t(b);
}

// Process-wide: looked up once per worker per config change, never per request.
std::shared_ptr<SharedDestination> shared_for(const std::string& key,
                                              const upstream::EffectivePolicy& policy) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::weak_ptr<SharedDestination>> registry;
  std::lock_guard lock(mu);
  auto shared = registry[key].lock();
  if (!shared) {
    shared = std::make_shared<SharedDestination>();
    registry[key] = shared;
  }
  shared->breaker.set_limits(policy.limits);
  std::lock_guard outlier_lock(shared->mu);
  if (!policy.outlier) {
    shared->outlier.reset();
    shared->outlier_config.reset();
  } else if (!shared->outlier_config || !same_outlier(*shared->outlier_config, *policy.outlier)) {
    shared->outlier.emplace(*policy.outlier, kClock);
    shared->outlier_config = policy.outlier;
    shared->outlier_ids.clear();
  }
  return shared;
}

uint64_t endpoint_id(const boost::asio::ip::tcp::endpoint& e) {
  return std::hash<std::string>{}(e.address().to_string() + ":" + std::to_string(e.port()));
}

}  // namespace

std::string destination_key(const L7Config& config, const std::string& host,
                            const std::string& subset, uint16_t port,
                            const state::Workload* source) {
  std::string key = host + "|" + subset + "|" + std::to_string(port);
  if (const auto* selected = config.selected_rule_for(host, source))
    key += "|dr=" + selected->meta.namespace_ + "/" + selected->meta.name;
  return key;
}

std::variant<std::shared_ptr<Destination>, DestinationError> make_destination(
    const L7Config& config, const std::string& host, const std::string& subset, uint16_t port,
    const boost::asio::ip::address& dialed, uint64_t seed, const state::Workload* source) {
  auto service = config.snapshot()->service_by_host(host);
  if (!service) return DestinationError{"NC", "no Service " + host};
  const state::DestinationRule* rule = config.rule_for(host, source);
  auto policy = upstream::effective_policy(rule, subset, port);
  if (!policy) return DestinationError{"NC", "no subset '" + subset + "' for " + host};

  auto d = std::make_shared<Destination>();
  d->key = destination_key(config, host, subset, port, source);
  d->service = service;
  d->port = port;
  d->policy = std::move(*policy);
  d->connection = upstream::connection_settings(d->policy.traffic_policy.connection_pool);
  size_t port_index = service->ports.size();
  for (size_t i = 0; i < service->ports.size(); ++i)
    if (service->ports[i].port == port) port_index = i;
  if (port_index == service->ports.size())
    return DestinationError{"NC", host + " has no port " + std::to_string(port)};

  const state::Subset* s = rule && !subset.empty() ? upstream::find_subset(*rule, subset) : nullptr;
  for (const auto& b : service->ready_backends[port_index]) {
    if (s && !(b.workload && upstream::in_subset(s->labels, b.workload->labels))) continue;
    boost::asio::ip::address ip = b.address;
    if (b.workload && !b.workload->ips.empty()) {
      ip = b.workload->ips.front();
      for (const auto& a : b.workload->ips)
        if (a.is_v4() == dialed.is_v4()) ip = a;
    }
    d->members.push_back(b);
    d->targets.emplace_back(ip, b.port);
    upstream::Endpoint e;
    e.id = endpoint_id(d->targets.back());
    d->endpoints.push_back(e);
  }
  d->balancer = upstream::make_load_balancer(d->policy.load_balancer, seed);
  d->shared = shared_for(d->key, d->policy);
  return d;
}

upstream::Pick Destination::pick(std::span<const size_t> avoid, std::optional<uint64_t> hash) {
  if (policy.outlier) {
    std::lock_guard lock(shared->mu);
    if (!shared->outlier) shared->outlier.emplace(*policy.outlier, kClock);
    auto& od = *shared->outlier;
    std::vector<uint64_t> ids;
    ids.reserve(endpoints.size());
    for (const auto& e : endpoints) ids.push_back(e.id);
    if (ids != shared->outlier_ids) {  // another worker may be on another snapshot's set
      od.set_endpoints(ids);
      shared->outlier_ids = std::move(ids);
    }
    od.sweep_if_due();
    for (size_t i = 0; i < endpoints.size(); ++i) endpoints[i].healthy = od.usable(i);
  }
  // Retry to a different host (Envoy's previous_hosts predicate): mark the tried ones
  // unhealthy for this pick only, as long as something else is left.
  std::vector<bool> saved;
  size_t healthy = 0;
  for (const auto& e : endpoints) healthy += e.healthy;
  size_t hidden = 0;
  for (size_t i : avoid)
    if (i < endpoints.size() && endpoints[i].healthy) ++hidden;
  bool hide = !avoid.empty() && hidden < healthy;
  if (hide) {
    for (const auto& e : endpoints) saved.push_back(e.healthy);
    for (size_t i : avoid)
      if (i < endpoints.size()) endpoints[i].healthy = false;
  }
  auto p = balancer->pick(endpoints, hash);
  if (hide)
    for (size_t i = 0; i < endpoints.size(); ++i) endpoints[i].healthy = saved[i];
  return p;
}

upstream::Pick Destination::original_destination(const boost::asio::ip::address& dialed,
                                                 std::span<const size_t> avoid,
                                                 uint64_t random) const {
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].address() == dialed) return {upstream::Pick::Kind::kEndpoint, i};
  std::vector<size_t> usable, fresh;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (!endpoints[i].healthy) continue;
    usable.push_back(i);
    if (std::find(avoid.begin(), avoid.end(), i) == avoid.end()) fresh.push_back(i);
  }
  const auto& from = fresh.empty() ? usable : fresh;
  if (from.empty()) return {};
  return {upstream::Pick::Kind::kEndpoint, from[random % from.size()]};
}

void Destination::record_status(size_t endpoint, uint32_t status) {
  if (!policy.outlier) return;
  std::lock_guard lock(shared->mu);
  if (shared->outlier && endpoint < shared->outlier->size())
    shared->outlier->record_response(endpoint, status);
}

void Destination::record_local(size_t endpoint, upstream::LocalOrigin event) {
  if (!policy.outlier) return;
  std::lock_guard lock(shared->mu);
  if (shared->outlier && endpoint < shared->outlier->size())
    shared->outlier->record_local_origin(endpoint, event);
}

}  // namespace zmesh::routing
