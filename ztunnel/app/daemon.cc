#include "app/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <filesystem>

#include "app/connection_limit_sync.h"
#include "app/endpoints.h"
#include "app/jwks_fetcher.h"
#include "app/kernel_policy_sync.h"
#include "app/trace_sink.h"
#include "bpf/datapath.h"
#include "bpf/zmesh.h"
#include "ca/remote_ca_source.h"
#include "config/directory_source.h"
#include "control/control.h"
#include "enroll/node_agent.h"
#include "enroll/pod_registry.h"
#include "identity/certificate_source.h"
#include "identity/secret_manager.h"
#include "kube/in_cluster.h"
#include "kube/kube_source.h"
#include "kube/kubeconfig.h"
#include "routing/config_cache.h"
#include "state/store.h"
#include "telemetry/access_log.h"
#include "telemetry/metrics.h"
#include "transport/proxy_context.h"
#include "transport/worker_pool.h"

namespace zmesh::app {
namespace asio = boost::asio;

namespace {

hbone::SessionOptions hbone_options(const Options& o) {
  hbone::SessionOptions options;
  options.max_concurrent_streams = o.hbone_max_streams;
  return options;
}

int fail(const std::string& what) {
  spdlog::critical("{}", what);
  return 1;
}

// Where workload certificates come from: a CA service (cluster mode), Istio's plug-in CA
// directory, or the embedded CA under the state directory.
Result<std::unique_ptr<identity::CertificateSource>> open_certificate_source(
    const Options& o, asio::any_io_executor control) {
  if (!o.ca_addr.empty()) {
    auto remote = ca::RemoteCaSource::open(control, o.ca_addr, o.ca_credentials, o.trust_domain);
    if (!remote) return remote.error();
    return std::unique_ptr<identity::CertificateSource>(std::move(*remote));
  }
  using Layout = identity::LocalCaSource::Layout;
  auto local =
      o.ca_dir.empty()
          ? identity::LocalCaSource::open(Layout::kEmbedded, o.state_dir + "/ca", o.trust_domain)
          : identity::LocalCaSource::open(Layout::kPlugin, o.ca_dir, o.trust_domain);
  if (!local) return local.error();
  return std::unique_ptr<identity::CertificateSource>(std::move(*local));
}

// The directory source (standalone), or the Kubernetes API (--kubeconfig, --in-cluster).
Result<std::unique_ptr<config::ConfigSource>> open_config_source(
    const Options& o, asio::io_context& control, config::DirectorySource::OnSnapshot on_snapshot) {
  if (!uses_kubernetes_api(o)) {
    return std::unique_ptr<config::ConfigSource>(std::make_unique<config::DirectorySource>(
        control, o.config_dir, o.root_namespace, std::move(on_snapshot)));
  }
  auto credentials =
      o.in_cluster ? kube::in_cluster_credentials(::getenv) : kube::load_kubeconfig(o.kubeconfig);
  if (!credentials) return credentials.error();
  return std::unique_ptr<config::ConfigSource>(std::make_unique<kube::KubeSource>(
      control, std::move(*credentials), o.root_namespace, std::move(on_snapshot)));
}

// Runs the control thread until the source has its first complete view (the directory's is
// immediate; the API server's after every kind's first LIST) or a signal stops the daemon.
// Re-enrolling pods needs it: against a half-empty config they would look gone.
void wait_for_config(asio::io_context& control, const config::ConfigSource& source) {
  auto since = std::chrono::steady_clock::now(), logged = since;
  while (!source.synced() && !control.stopped()) {
    control.run_one_for(std::chrono::milliseconds(200));
    auto now = std::chrono::steady_clock::now();
    if (now - logged >= std::chrono::seconds(10)) {
      logged = now;
      spdlog::warn("config: still waiting for the first complete view ({}s)",
                   std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    }
  }
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
  auto certificates = open_certificate_source(o, control.get_executor());
  if (!certificates) return fail("certificate authority: " + certificates.error().message);
  spdlog::info("workload certificates from {} (trust domain {}, lifetime {}s)",
               (*certificates)->describe(), o.trust_domain, o.cert_ttl.count());
  identity::SecretOptions secret_options;
  secret_options.trust_domain = o.trust_domain;
  secret_options.ttl = o.cert_ttl;
  identity::SecretManager secrets(control.get_executor(), **certificates, secret_options);

  state::Store store;
  routing::L7ConfigCache l7_configs;  // one L7Config per snapshot, shared by every worker
  telemetry::Metrics metrics(o.workers);
  telemetry::AccessLog access_log(o.access_log);
  std::unique_ptr<telemetry::AccessLog> audit_log;
  if (!o.audit_log.empty()) {
    auto opened = telemetry::AccessLog::open(o.audit_log);
    if (!opened) return fail("--audit-log: " + opened.error().message);
    audit_log = std::move(*opened);
  }
  jwt::JwksStore jwks;  // RequestAuthentication keys, read by the workers
  app::JwksFetcher jwks_fetcher(control.get_executor(), jwks,
                                {o.jwks_refresh, o.jwks_ca_file, std::chrono::milliseconds(5000)});
  telemetry::TraceExporter tracer;  // spans of traced requests, sent off the request path
  metrics.add_collector([&tracer] { return tracer.render_prometheus(); });
  transport::WorkerPool pool(o.workers);
  std::vector<transport::WorkerState> workers(o.workers);
  transport::ProxyContext ctx{o.node,          store,          **datapath,
                              metrics,         access_log,     transport::SocketFactory(ZMESH_MARK),
                              secrets,         o.trust_domain, hbone_options(o),
                              audit_log.get(), &jwks,          &tracer};
  for (size_t i = 0; i < workers.size(); ++i) {
    workers[i].index = i;
    workers[i].routes = routing::WorkerRoutes(&l7_configs, i);
    workers[i].hbone = std::make_unique<hbone::ConnectionPool>(pool.context(i).get_executor(),
                                                               ctx.hbone_options, o.hbone_pool);
  }
  enroll::PodRegistry registry(ctx, pool, workers);
  enroll::NodeAgent agent(control.get_executor(), store, registry,
                          {o.node, o.run_dir, o.discover_pods, {o.proc_dir, o.netns_dir}});

  state::Snapshot::PolicySets checked_policies;  // what open connections last met
  KernelPolicySync kernel_policy(**datapath, o.node);
  TraceSinkSync trace_sink(tracer);
  auto source = open_config_source(o, control, [&](auto snapshot) {
    auto l7_config = l7_configs.prepare(snapshot);  // before workers can see the snapshot
    store.publish(snapshot);
    agent.on_snapshot(*snapshot);
    // Connections already open meet changed policies too (on their own worker's thread). As
    // ztunnel's PolicyWatcher, only a policy change triggers it, not workload churn.
    if (auto sets = snapshot->policy_sets(); !(sets == checked_policies)) {
      checked_policies = std::move(sets);
      for (size_t i = 0; i < workers.size(); ++i)
        asio::post(pool.context(i),
                   [&worker = workers[i], snapshot] { worker.inbound.recheck(*snapshot); });
    }
    sync_connection_limits(**datapath, *l7_config);
    jwks_fetcher.on_snapshot(*snapshot);
    kernel_policy.on_snapshot(*snapshot);
    trace_sink.on_snapshot(*snapshot);
  });
  if (!source) return fail("config: " + source.error().message);
  if (auto r = (*source)->start(); !r) return fail("config: " + r.error().message);

  DaemonView view{o,
                  store,
                  registry,
                  agent,
                  **source,
                  **datapath,
                  metrics,
                  secrets,
                  (*certificates)->describe(),
                  std::chrono::steady_clock::now()};
  std::atomic<bool> ready{false};
  auto servers = start_endpoints(control, view, ready);
  if (!servers) return fail(servers.error().message);

  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    ready = false;
    control.stop();
  });
  wait_for_config(control, **source);
  if (!control.stopped()) {
    // Only after our ports and control socket are ours: a second daemon for the same node
    // must fail above rather than join the pods' SO_REUSEPORT listener groups here.
    agent.start();
    ready = true;
    spdlog::info("ready: {} pods enrolled", registry.size());
    control.run();
  }
  pool.stop();
  // The pools live on the (now stopped) workers; drop them before the contexts go.
  for (auto& w : workers) w.hbone.reset();
  return 0;
}

}  // namespace zmesh::app
