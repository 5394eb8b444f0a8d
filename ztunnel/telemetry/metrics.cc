#include "telemetry/metrics.h"

#include <array>
#include <cstdio>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace zmesh::telemetry {
namespace {

// One worker's counter cells. The mutex guards only the map's shape (insertions by the
// owning worker, iteration by the scraper): the two that ever touch a shard. Counters
// themselves are relaxed atomics bumped without it, so workers never contend.
struct alignas(64) Shard {
  std::mutex mu;
  // Key: the rendered label set, which is also what the scrape prints.
  std::unordered_map<std::string, std::unique_ptr<TcpCounters>> cells;
  std::unordered_map<std::string, std::unique_ptr<HttpCounters>> http_cells;
  std::unordered_map<std::string, std::unique_ptr<std::atomic<uint64_t>>> authz_cells;
};

struct Family {
  const char* name;
  const char* help;
  std::atomic<uint64_t> TcpCounters::*field;
};

constexpr std::array<Family, 4> kFamilies = {{
    {"istio_tcp_connections_opened_total", "The total number of TCP connections opened",
     &TcpCounters::opened},
    {"istio_tcp_connections_closed_total", "The total number of TCP connections closed",
     &TcpCounters::closed},
    {"istio_tcp_sent_bytes_total", "The size of total bytes sent during response in case of TCP",
     &TcpCounters::sent},
    {"istio_tcp_received_bytes_total",
     "The size of total bytes received during request in case of TCP", &TcpCounters::received},
}};

template <size_t N>
void add_into(std::vector<uint64_t>& sum, const HistogramCell<N>& cell) {
  sum.resize(N + 3);
  for (size_t i = 0; i <= N; ++i) sum[i] += cell.buckets[i].load(std::memory_order_relaxed);
  sum[N + 1] += cell.sum.load(std::memory_order_relaxed);
  sum[N + 2] += cell.count.load(std::memory_order_relaxed);
}

template <size_t N>
void render_histogram(std::string& out, const char* name, const char* help,
                      const std::array<double, N>& bounds,
                      const std::map<std::string, std::vector<uint64_t>>& series) {
  out += std::string("# HELP ") + name + ' ' + help + '\n';
  out += std::string("# TYPE ") + name + " histogram\n";
  for (const auto& [labels, sum] : series) {
    // labels is "{...}": the bucket label goes inside the braces.
    std::string open = labels.substr(0, labels.size() - 1) + ",le=\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= N; ++i) {
      cumulative += sum[i];
      char bound[32];
      if (i < N)
        std::snprintf(bound, sizeof bound, "%g", bounds[i]);
      else
        std::snprintf(bound, sizeof bound, "+Inf");
      out +=
          std::string(name) + "_bucket" + open + bound + "\"} " + std::to_string(cumulative) + '\n';
    }
    out += std::string(name) + "_sum" + labels + ' ' + std::to_string(sum[N + 1]) + '\n';
    out += std::string(name) + "_count" + labels + ' ' + std::to_string(sum[N + 2]) + '\n';
  }
}

std::string render_http_families(const std::vector<std::unique_ptr<Shard>>& shards) {
  std::map<std::string, uint64_t> requests;
  std::map<std::string, std::vector<uint64_t>> duration, req_bytes, resp_bytes;
  for (const auto& shard : shards) {
    std::lock_guard lock(shard->mu);
    for (const auto& [labels, cell] : shard->http_cells) {
      requests[labels] += cell->requests.load(std::memory_order_relaxed);
      add_into(duration[labels], cell->duration_ms);
      add_into(req_bytes[labels], cell->request_bytes);
      add_into(resp_bytes[labels], cell->response_bytes);
    }
  }
  if (requests.empty()) return {};
  std::string out = "# HELP istio_requests_total The total number of requests\n";
  out += "# TYPE istio_requests_total counter\n";
  for (const auto& [labels, n] : requests)
    out += "istio_requests_total" + labels + ' ' + std::to_string(n) + '\n';
  render_histogram(out, "istio_request_duration_milliseconds", "The duration of requests",
                   kDurationBucketsMs, duration);
  render_histogram(out, "istio_request_bytes", "The size of requests", kSizeBuckets, req_bytes);
  render_histogram(out, "istio_response_bytes", "The size of responses", kSizeBuckets, resp_bytes);
  return out;
}

std::string render_authz_family(const std::vector<std::unique_ptr<Shard>>& shards) {
  std::map<std::string, uint64_t> decisions;
  for (const auto& shard : shards) {
    std::lock_guard lock(shard->mu);
    for (const auto& [labels, cell] : shard->authz_cells)
      decisions[labels] += cell->load(std::memory_order_relaxed);
  }
  if (decisions.empty()) return {};
  std::string out =
      "# HELP zmesh_authorization_decisions_total AuthorizationPolicy decisions by layer, "
      "decision and deciding policy\n";
  out += "# TYPE zmesh_authorization_decisions_total counter\n";
  for (const auto& [labels, n] : decisions)
    out += "zmesh_authorization_decisions_total" + labels + ' ' + std::to_string(n) + '\n';
  return out;
}

}  // namespace

void HttpCounters::record(std::chrono::microseconds duration, uint64_t request_size,
                          uint64_t response_size) {
  auto observe = [](auto& cell, const auto& bounds, double value, uint64_t summed) {
    size_t i = 0;
    while (i < bounds.size() && value > bounds[i]) ++i;  // Prometheus: le is inclusive
    cell.buckets[i].fetch_add(1, std::memory_order_relaxed);
    cell.sum.fetch_add(summed, std::memory_order_relaxed);
    cell.count.fetch_add(1, std::memory_order_relaxed);
  };
  double ms = static_cast<double>(duration.count()) / 1000.0;
  requests.fetch_add(1, std::memory_order_relaxed);
  observe(duration_ms, kDurationBucketsMs, ms, static_cast<uint64_t>(ms + 0.5));
  observe(request_bytes, kSizeBuckets, static_cast<double>(request_size), request_size);
  observe(response_bytes, kSizeBuckets, static_cast<double>(response_size), response_size);
}

struct Metrics::Impl {
  std::string build_tag;
  std::vector<std::unique_ptr<Shard>> shards;
  mutable std::mutex collectors_mu;
  std::vector<std::function<std::string()>> collectors;
};

Metrics::Metrics(size_t shards, std::string build_tag) : impl_(std::make_unique<Impl>()) {
  impl_->build_tag = std::move(build_tag);
#ifdef ZMESH_VERSION
  if (impl_->build_tag.empty()) impl_->build_tag = ZMESH_VERSION;
#endif
  if (impl_->build_tag.empty()) impl_->build_tag = "unknown";
  impl_->shards.resize(shards == 0 ? 1 : shards);
  for (auto& s : impl_->shards) s = std::make_unique<Shard>();
}

Metrics::~Metrics() = default;

TcpCounters& Metrics::tcp(size_t shard, const TcpLabels& labels) {
  Shard& s = *impl_->shards[shard % impl_->shards.size()];
  std::string key = render_tcp_labels(labels);
  std::lock_guard lock(s.mu);
  auto& cell = s.cells[std::move(key)];
  if (!cell) cell = std::make_unique<TcpCounters>();
  return *cell;
}

HttpCounters& Metrics::http(size_t shard, const HttpLabels& labels) {
  Shard& s = *impl_->shards[shard % impl_->shards.size()];
  std::string key = render_http_labels(labels);
  std::lock_guard lock(s.mu);
  auto& cell = s.http_cells[std::move(key)];
  if (!cell) cell = std::make_unique<HttpCounters>();
  return *cell;
}

std::atomic<uint64_t>& Metrics::authz(size_t shard, const AuthzLabels& labels) {
  Shard& s = *impl_->shards[shard % impl_->shards.size()];
  std::string key = "{decision=\"" + escape_label_value(labels.decision) + "\",layer=\"" +
                    escape_label_value(labels.layer) + "\",policy=\"" +
                    escape_label_value(labels.policy) + "\"}";
  std::lock_guard lock(s.mu);
  auto& cell = s.authz_cells[std::move(key)];
  if (!cell) cell = std::make_unique<std::atomic<uint64_t>>(0);
  return *cell;
}

void Metrics::add_collector(std::function<std::string()> collector) {
  std::lock_guard lock(impl_->collectors_mu);
  impl_->collectors.push_back(std::move(collector));
}

std::string Metrics::render_prometheus() const {
  // Sum across shards; std::map keeps series in a stable order between scrapes.
  std::map<std::string, std::array<uint64_t, kFamilies.size()>> totals;
  for (const auto& shard : impl_->shards) {
    std::lock_guard lock(shard->mu);
    for (const auto& [labels, cell] : shard->cells) {
      auto& sum = totals.try_emplace(labels).first->second;
      for (size_t i = 0; i < kFamilies.size(); ++i)
        sum[i] += ((*cell).*kFamilies[i].field).load(std::memory_order_relaxed);
    }
  }

  std::string out;
  for (size_t i = 0; i < kFamilies.size(); ++i) {
    const Family& f = kFamilies[i];
    out += std::string("# HELP ") + f.name + ' ' + f.help + '\n';
    out += std::string("# TYPE ") + f.name + " counter\n";
    for (const auto& [labels, sum] : totals)
      out += f.name + labels + ' ' + std::to_string(sum[i]) + '\n';
  }
  out += render_http_families(impl_->shards);
  out += render_authz_family(impl_->shards);
  out += "# HELP istio_build Istio component build info\n";
  out += "# TYPE istio_build gauge\n";
  out +=
      "istio_build{component=\"ztunnel\",tag=\"" + escape_label_value(impl_->build_tag) + "\"} 1\n";

  std::lock_guard lock(impl_->collectors_mu);
  for (const auto& collect : impl_->collectors) {
    std::string text = collect();
    if (text.empty()) continue;
    out += text;
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace zmesh::telemetry
