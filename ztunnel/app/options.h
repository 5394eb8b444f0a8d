// ztunnel's command line.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <variant>

#include "common/result.h"

namespace zmesh::app {

struct Options {
  std::string node;
  std::string config_dir;   // standalone source: a directory of Kubernetes YAML
  std::string kubeconfig;   // Kubernetes API source from a kubeconfig's current context
  bool in_cluster = false;  // Kubernetes API source with the pod's service account
  std::string cgroup_root;
  std::string bpf_pin_root = "/sys/fs/bpf/zmesh";
  std::string run_dir = "/var/run/zmesh";
  std::string access_log = "-";
  std::string audit_log;  // "": no audit records
  std::string log_level = "info";
  boost::asio::ip::tcp::endpoint admin_addr;
  boost::asio::ip::tcp::endpoint stats_addr;
  boost::asio::ip::tcp::endpoint readiness_addr;
  size_t workers = 0;  // 0: one per core

  // Identity and CA.
  std::string trust_domain = "cluster.local";
  std::chrono::seconds cert_ttl{24 * 3600};
  std::string ca_dir;  // Istio plug-in CA layout; empty: embedded CA in state_dir/ca
  std::string state_dir = "/var/lib/zmesh";
  std::string ca_addr;         // cluster mode: CA service host:port
  std::string ca_credentials;  // cluster mode: node-cert.pem, node-key.pem, root-cert.pem
  std::string root_namespace = "istio-system";

  // Node agent: pods whose CNI ADD this daemon did not see are found by scanning these
  // (default on with the Kubernetes API, off with --config-dir).
  bool discover_pods = false;
  std::string proc_dir = "/proc";
  std::string netns_dir = "/var/run/netns";

  // HBONE client pool.
  uint32_t hbone_max_streams = 100;  // streams per pooled connection
  bool hbone_pool = true;            // false: one connection per tunnel (benchmarks)

  // RequestAuthentication jwksUri fetching (app/jwks_fetcher.h).
  std::chrono::seconds jwks_refresh{20 * 60};  // istiod's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL
  std::string jwks_ca_file;                    // more trusted roots for https jwksUri
};

inline bool uses_kubernetes_api(const Options& o) {
  return o.in_cluster || !o.kubeconfig.empty();
}

struct ShowHelp {
  std::string text;
};

// Parses argv: Options, or ShowHelp for --help, or an Error naming the bad flag.
std::variant<Options, ShowHelp, Error> parse_options(int argc, char** argv);

}  // namespace zmesh::app
