#include "kube/kube_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <set>

#include "config/kind_registry.h"
#include "config/object_store.h"
#include "config/yaml_parser.h"

namespace zmesh::kube {
namespace {

using Clock = std::chrono::steady_clock;

// Bursts (a LIST, a rollout) make one snapshot per interval, not one per object.
constexpr std::chrono::milliseconds kBatch{20};

// Rejected objects are reported as "kubernetes: VirtualService ns/name: field: problem".
constexpr const char* kErrorPrefix = "kubernetes";

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

struct KubeSource::Impl {
  Impl(boost::asio::io_context& io, Credentials credentials, std::string root_namespace,
       OnSnapshot on_snapshot, ReflectorOptions options)
      : io(io),
        credentials(std::move(credentials)),
        on_snapshot(std::move(on_snapshot)),
        options(options),
        store(std::move(root_namespace)),
        timer(io) {}

  ~Impl() {
    for (auto& r : reflectors) r->stop();
  }

  void on_deltas(const config::KindInfo& kind, std::vector<Delta> deltas,
                 Clock::time_point received) {
    for (auto& d : deltas) {
      std::string unit = "k8s:" + std::string(kind.kind) + "/" + d.key;
      if (d.json) {
        store.set_file(unit, config::parse_object(*d.json, kErrorPrefix, unit));
      } else {
        store.remove_file(unit);
      }
    }
    changes += deltas.size();
    if (!deltas.empty() && (!oldest || received < *oldest)) oldest = received;
    if (unsynced.erase(&kind) != 0 && unsynced.empty()) {
      spdlog::info("kube: initial list of every kind done in {:.0f} ms", ms_since(started_at));
    } else if (deltas.empty()) {
      return;
    }
    schedule();
  }

  void schedule() {
    if (!unsynced.empty() || timer_armed) return;  // the first snapshot waits for every kind
    timer_armed = true;
    timer.expires_at(std::max(Clock::now(), last_publish + kBatch));
    timer.async_wait([this, token = std::weak_ptr<char>(alive)](boost::system::error_code ec) {
      if (ec || token.expired()) return;
      timer_armed = false;
      publish();
    });
  }

  void publish() {
    for (const auto& e : store.commit()) spdlog::warn("config: {}", e);
    auto snapshot = store.build_snapshot();
    spdlog::info(
        "config: {} objects from the Kubernetes API ({} workloads, {} services, {} peer "
        "authentications, {} rejected)",
        store.size(), snapshot->workload_count(), snapshot->service_count(),
        snapshot->objects<state::PeerAuthentication>().size(), store.errors().size());
    on_snapshot(std::move(snapshot));
    last_publish = Clock::now();
    synced = true;
    if (oldest) {
      spdlog::debug("config: snapshot live {:.1f} ms after its oldest API event ({} changes)",
                    ms_since(*oldest), changes);
    }
    oldest.reset();
    changes = 0;
  }

  boost::asio::io_context& io;
  Credentials credentials;
  OnSnapshot on_snapshot;
  ReflectorOptions options;
  config::ObjectStore store;
  std::vector<std::shared_ptr<Reflector>> reflectors;
  std::set<const config::KindInfo*> unsynced;  // kinds whose first LIST is not in yet
  bool synced = false;                         // a snapshot was published
  bool timer_armed = false;
  std::optional<Clock::time_point> oldest;  // receipt of the oldest unpublished change
  size_t changes = 0;                       // unpublished changes
  Clock::time_point last_publish{};
  Clock::time_point started_at{};
  std::shared_ptr<char> alive = std::make_shared<char>();  // expires with Impl: guards handlers
  boost::asio::steady_timer timer;
};

KubeSource::KubeSource(boost::asio::io_context& io, Credentials credentials,
                       std::string root_namespace, OnSnapshot on_snapshot, ReflectorOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(credentials), std::move(root_namespace),
                                   std::move(on_snapshot), options)) {}

KubeSource::~KubeSource() = default;

Result<void> KubeSource::start() {
  auto client = ApiClient::create(impl_->io.get_executor(), impl_->credentials);
  if (!client) return make_error("kubernetes: " + client.error().message);
  spdlog::info("kube: config from {} at {}", impl_->credentials.origin, (*client)->server());
  impl_->started_at = Clock::now();
  for (const auto& kind : config::known_kinds()) {
    impl_->unsynced.insert(&kind);
    auto reflector = std::make_shared<Reflector>(
        *client, kind, impl_->options,
        [impl = impl_.get(), kind = &kind](std::vector<Delta> deltas, Clock::time_point received) {
          impl->on_deltas(*kind, std::move(deltas), received);
        });
    impl_->reflectors.push_back(reflector);
  }
  for (auto& r : impl_->reflectors) r->start(impl_->io.get_executor());
  return ok();
}

bool KubeSource::synced() const {
  return impl_->synced;
}

std::vector<std::string> KubeSource::errors() const {
  return impl_->store.errors();
}

}  // namespace zmesh::kube
