#include "app/options.h"

#include <boost/program_options.hpp>
#include <sstream>
#include <thread>

#include "common/duration.h"

namespace zmesh::app {
namespace po = boost::program_options;
using boost::asio::ip::tcp;

namespace {

Result<tcp::endpoint> parse_endpoint(const std::string& flag, const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return make_error("--" + flag + ": expected HOST:PORT, got \"" + text + "\"");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return make_error("--" + flag + ": \"" + host + "\" is not an IP address");
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return make_error("--" + flag + ": bad port in \"" + text + "\"");
  }
  if (port > 65535) return make_error("--" + flag + ": port out of range in \"" + text + "\"");
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

std::variant<Options, ShowHelp, Error> parse_options(int argc, char** argv) {
  Options o;
  std::string admin = "127.0.0.1:15000", stats = "0.0.0.0:15020", ready = "0.0.0.0:15021";
  std::string cert_ttl = "24h";
  std::string jwks_refresh = "20m";
  po::options_description desc(
      "ztunnel: zmesh node proxy (one per node)\n\n"
      "Usage: ztunnel --node NAME (--config-dir DIR | --kubeconfig FILE | --in-cluster) "
      "--cgroup-root PATH [options]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("node", po::value(&o.node), "this node's name (matches Pod spec.nodeName); required")
    ("config-dir", po::value(&o.config_dir), "directory of Kubernetes YAML (standalone source)")
    ("kubeconfig", po::value(&o.kubeconfig), "config from the Kubernetes API server of this kubeconfig's current context")
    ("in-cluster", "config from the Kubernetes API server, as the pod's service account")
    ("cgroup-root", po::value(&o.cgroup_root), "cgroup v2 directory holding this node's pods; required")
    ("bpf-pin-root", po::value(&o.bpf_pin_root)->default_value(o.bpf_pin_root), "bpffs directory for pinned maps and links")
    ("run-dir", po::value(&o.run_dir)->default_value(o.run_dir), "control socket and state directory")
    ("admin-addr", po::value(&admin)->default_value(admin), "admin API (config_dump)")
    ("stats-addr", po::value(&stats)->default_value(stats), "Prometheus metrics")
    ("readiness-addr", po::value(&ready)->default_value(ready), "readiness probe")
    ("workers", po::value(&o.workers)->default_value(0), "proxy worker threads (0: one per core)")
    ("access-log", po::value(&o.access_log)->default_value(o.access_log), "access log file, - for stdout")
    ("audit-log", po::value(&o.audit_log), "authorization audit log file (JSON lines: AUDIT matches and denials), - for stdout")
    ("log-level", po::value(&o.log_level)->default_value(o.log_level), "trace|debug|info|warn|error")
    ("trust-domain", po::value(&o.trust_domain)->default_value(o.trust_domain), "SPIFFE trust domain of workload identities")
    ("cert-ttl", po::value(&cert_ttl)->default_value(cert_ttl), "workload certificate lifetime (e.g. 24h, 90s); renewed at half life")
    ("ca-dir", po::value(&o.ca_dir), "Istio plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem); default: embedded CA")
    ("state-dir", po::value(&o.state_dir)->default_value(o.state_dir), "persistent state (the embedded CA lives in <state-dir>/ca)")
    ("ca-addr", po::value(&o.ca_addr), "cluster mode: CA service HOST:PORT (ztunnel ca serve) instead of a local CA")
    ("ca-credentials", po::value(&o.ca_credentials), "cluster mode: directory with node-cert.pem, node-key.pem, root-cert.pem (ztunnel ca issue-node)")
    ("root-namespace", po::value(&o.root_namespace)->default_value(o.root_namespace), "Istio root namespace (mesh-wide policies)")
    ("discover-pods", "find running mesh pods of this node without a CNI ADD, by their IP in the node's network namespaces (default with --kubeconfig/--in-cluster)")
    ("no-discover-pods", "only pods reported by zmesh-cni or zmeshctl enroll are enrolled (default with --config-dir)")
    ("proc-dir", po::value(&o.proc_dir)->default_value(o.proc_dir), "the node's /proc (in a container: the host's, mounted)")
    ("netns-dir", po::value(&o.netns_dir)->default_value(o.netns_dir), "where the container runtime keeps pod network namespaces")
    ("hbone-max-streams", po::value(&o.hbone_max_streams)->default_value(o.hbone_max_streams), "HBONE: concurrent streams per pooled connection")
    ("no-hbone-pool", "HBONE: a new mTLS connection for every tunnel (to measure handshake cost)")
    ("jwks-refresh", po::value(&jwks_refresh)->default_value(jwks_refresh), "RequestAuthentication: how often every jwksUri is fetched again (e.g. 20m, 90s)")
    ("jwks-ca-file", po::value(&o.jwks_ca_file), "RequestAuthentication: PEM file of more trusted roots for https jwksUri (besides the system's)");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return make_error(e.what());
  }
  if (vm.count("help")) {
    std::ostringstream text;
    text << desc;
    return ShowHelp{text.str()};
  }
  if (!vm.count("node")) return make_error("missing required flag --node");
  o.in_cluster = vm.count("in-cluster") != 0;
  // The config source before --cgroup-root: `ztunnel --node x` first learns where config comes
  // from.
  if (!o.in_cluster && !vm.count("kubeconfig") && !vm.count("config-dir"))
    return make_error("missing required flag --config-dir (or --kubeconfig, --in-cluster)");
  if (!vm.count("cgroup-root")) return make_error("missing required flag --cgroup-root");
  if (o.in_cluster && vm.count("kubeconfig"))
    return make_error(
        "--kubeconfig and --in-cluster are exclusive: one way to reach the API server");
  if (vm.count("kubeconfig") && o.kubeconfig.empty()) return make_error("--kubeconfig: empty path");
  if (uses_kubernetes_api(o) && vm.count("config-dir"))
    return make_error(std::string("--config-dir and ") +
                      (o.in_cluster ? "--in-cluster" : "--kubeconfig") +
                      " are exclusive: one config source");
  if (!uses_kubernetes_api(o) && !vm.count("config-dir"))
    return make_error("missing required flag --config-dir (or --kubeconfig, --in-cluster)");
  static constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), o.log_level) == std::end(kLevels))
    return make_error("--log-level: unknown level \"" + o.log_level + "\"");

  struct Addr {
    const char* flag;
    const std::string& text;
    tcp::endpoint& out;
  };
  for (auto a : {Addr{"admin-addr", admin, o.admin_addr}, Addr{"stats-addr", stats, o.stats_addr},
                 Addr{"readiness-addr", ready, o.readiness_addr}}) {
    auto endpoint = parse_endpoint(a.flag, a.text);
    if (!endpoint) return endpoint.error();
    a.out = *endpoint;
  }
  auto ttl = parse_duration(cert_ttl);
  if (!ttl) return make_error("--cert-ttl: " + ttl.error().message);
  o.cert_ttl = *ttl;
  auto refresh = parse_duration(jwks_refresh);
  if (!refresh) return make_error("--jwks-refresh: " + refresh.error().message);
  o.jwks_refresh = *refresh;
  if (!o.ca_addr.empty() && o.ca_credentials.empty())
    return make_error(
        "--ca-addr needs --ca-credentials (node certificate from 'ztunnel ca issue-node')");
  if (!o.ca_addr.empty() && !o.ca_dir.empty())
    return make_error("--ca-addr and --ca-dir are exclusive: one CA source");
  if (o.trust_domain.empty() || o.trust_domain.find('/') != std::string::npos)
    return make_error("--trust-domain: \"" + o.trust_domain + "\" is not a trust domain name");
  if (o.hbone_max_streams == 0) return make_error("--hbone-max-streams: must be at least 1");
  o.hbone_pool = vm.count("no-hbone-pool") == 0;
  if (vm.count("discover-pods") && vm.count("no-discover-pods"))
    return make_error("--discover-pods and --no-discover-pods are exclusive");
  o.discover_pods = vm.count("discover-pods")      ? true
                    : vm.count("no-discover-pods") ? false
                                                   : uses_kubernetes_api(o);
  if (o.workers == 0) o.workers = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace zmesh::app
