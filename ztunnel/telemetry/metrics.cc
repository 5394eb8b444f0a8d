#include "telemetry/metrics.h"

#include <array>
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

}  // namespace

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
