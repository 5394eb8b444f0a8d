#include "app/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <filesystem>

#include "app/endpoints.h"
#include "bpf/datapath.h"
#include "bpf/zmesh.h"
#include "config/directory_source.h"
#include "control/control.h"
#include "enroll/pod_registry.h"
#include "proxy/proxy_context.h"
#include "proxy/worker_pool.h"
#include "state/store.h"
#include "telemetry/access_log.h"
#include "telemetry/metrics.h"

namespace zmesh::app {
namespace asio = boost::asio;

namespace {

int fail(const std::string& what) {
  spdlog::critical("{}", what);
  return 1;
}

}  // namespace

int run_daemon(const Options& o) {
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  spdlog::info("ztunnel {} starting on node {} ({} workers)", ZMESH_VERSION, o.node, o.workers);

  std::error_code fs_error;
  std::filesystem::create_directories(o.run_dir, fs_error);
  if (fs_error) return fail("cannot create --run-dir " + o.run_dir + ": " + fs_error.message());
  if (!std::filesystem::is_directory(o.cgroup_root))
    return fail("--cgroup-root " + o.cgroup_root + " is not a directory");

  auto datapath = bpf::Datapath::open({o.bpf_pin_root, o.cgroup_root, ZMESH_MARK});
  if (!datapath) return fail("loading BPF datapath failed: " + datapath.error().message);
  spdlog::info("BPF datapath {} under {}", (*datapath)->reused() ? "reused from pins" : "loaded",
               o.bpf_pin_root);

  asio::io_context control(1);
  state::Store store;
  telemetry::Metrics metrics(o.workers);
  telemetry::AccessLog access_log(o.access_log);
  proxy::WorkerPool pool(o.workers);
  std::vector<proxy::WorkerState> workers(o.workers);
  for (size_t i = 0; i < workers.size(); ++i) workers[i].index = i;
  proxy::ProxyContext ctx{o.node,  store,      **datapath,
                          metrics, access_log, proxy::SocketFactory(ZMESH_MARK)};
  enroll::PodRegistry registry(ctx, pool, workers, o.run_dir + "/enrolled.json");

  config::DirectorySource source(control, o.config_dir, [&](auto snapshot) {
    store.publish(snapshot);
    registry.on_snapshot(*snapshot);
  });
  if (auto r = source.start(); !r) return fail("config: " + r.error().message);

  DaemonView view{
      o, store, registry, source, **datapath, metrics, std::chrono::steady_clock::now()};
  std::atomic<bool> ready{false};
  auto servers = start_endpoints(control, view, ready);
  if (!servers) return fail(servers.error().message);
  // Only after our ports and control socket are ours: a second daemon for the same node must
  // fail above rather than join the pods' SO_REUSEPORT listener groups here.
  registry.restore();

  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    ready = false;
    control.stop();
  });
  ready = true;
  spdlog::info("ready: {} pods enrolled", registry.size());
  control.run();
  pool.stop();
  return 0;
}

}  // namespace zmesh::app
