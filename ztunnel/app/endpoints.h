// The daemon's outward-facing endpoints: admin (config_dump), stats (Prometheus),
// readiness, and the control socket used by zmeshctl.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/options.h"
#include "bpf/datapath.h"
#include "common/result.h"
#include "config/config_source.h"
#include "enroll/node_agent.h"
#include "enroll/pod_registry.h"
#include "identity/secret_manager.h"
#include "state/store.h"
#include "telemetry/metrics.h"

namespace zmesh::app {

// Read/write access the endpoints need; everything lives on the control thread.
struct DaemonView {
  const Options& options;
  state::Store& store;
  enroll::PodRegistry& registry;
  enroll::NodeAgent& agent;
  config::ConfigSource& source;
  bpf::Datapath& datapath;
  telemetry::Metrics& metrics;
  identity::SecretManager& secrets;
  std::string ca_description;
  std::chrono::steady_clock::time_point started;
};

nlohmann::json config_dump(const DaemonView& view);
nlohmann::json status(const DaemonView& view);
nlohmann::json certificates(const DaemonView& view);

struct Endpoints;
struct EndpointsDeleter {
  void operator()(Endpoints* e) const;
};
using EndpointsHandle = std::unique_ptr<Endpoints, EndpointsDeleter>;

Result<EndpointsHandle> start_endpoints(boost::asio::io_context& control, DaemonView& view,
                                        std::atomic<bool>& ready);

}  // namespace zmesh::app
