#include "ca/ca_command.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

#include "ca/ca_service.h"
#include "ca/credential_issuer.h"
#include "ca/node_credentials.h"
#include "common/duration.h"
#include "identity/certificate_authority.h"

namespace zmesh::ca {
namespace {

namespace po = boost::program_options;
using boost::asio::ip::tcp;

constexpr const char* kUsage =
    "Usage: ztunnel ca <verb> [options]\n\n"
    "Verbs:\n"
    "  init        write a new plug-in CA directory (self-signed root)\n"
    "  issue-node  write a node's credentials for talking to the CA service\n"
    "  serve       run the CA service (signs node CSRs over mutual TLS)\n\n"
    "Run 'ztunnel ca <verb> --help' for the verb's options.\n";

Result<tcp::endpoint> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return make_error("--listen: expected IP:PORT");
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return make_error("--listen: \"" + host + "\" is not an IP address");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return make_error("--listen: bad port in \"" + text + "\"");
  return tcp::endpoint(address, static_cast<unsigned short>(std::stoul(port)));
}

int usage_error(const char* verb, const std::string& message) {
  std::fprintf(stderr, "ztunnel ca %s: %s\nRun 'ztunnel ca %s --help' for usage.\n", verb,
               message.c_str(), verb);
  return 2;
}

// Parses one verb's flags (argv[0] is the verb): the exit code when the verb must not run
// (--help, bad flags).
std::optional<int> parse(const po::options_description& desc, int argc, char** argv,
                         const std::vector<const char*>& required, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(argv[0], e.what());
  }
  for (const char* flag : required)
    if (!vm.count(flag))
      return usage_error(argv[0], std::string("missing required flag --") + flag);
  return std::nullopt;
}

int failed(const char* verb, const std::string& message) {
  std::fprintf(stderr, "ztunnel ca %s: %s\n", verb, message.c_str());
  return 1;
}

// argv[0] is the verb in each of these.
int run_init(int argc, char** argv) {
  std::string dir, trust_domain = "cluster.local", lifetime = "87600h";
  po::options_description desc(
      "ztunnel ca init: write a new Istio plug-in CA directory (ca-cert.pem, ca-key.pem,\n"
      "root-cert.pem, cert-chain.pem) with a self-signed root\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "dir", po::value(&dir),
      "directory to write; required (an existing CA key is never overwritten)")(
      "trust-domain", po::value(&trust_domain)->default_value(trust_domain), "SPIFFE trust domain")(
      "lifetime", po::value(&lifetime)->default_value(lifetime), "root certificate lifetime");
  po::variables_map vm;
  if (auto code = parse(desc, argc, argv, {"dir"}, vm)) return *code;
  auto seconds = parse_duration(lifetime);
  if (!seconds) return usage_error(argv[0], "--lifetime: " + seconds.error().message);
  if (auto r = identity::CertificateAuthority::create_plugin_dir(dir, trust_domain, *seconds); !r)
    return failed(argv[0], r.error().message);
  std::printf("wrote plug-in CA for %s to %s\n", trust_domain.c_str(), dir.c_str());
  return 0;
}

int run_issue_node(int argc, char** argv) {
  std::string ca_dir, node, out, trust_domain = "cluster.local", ttl = "8760h";
  po::options_description desc(
      "ztunnel ca issue-node: write a node's credentials for the CA service (node-cert.pem,\n"
      "node-key.pem, root-cert.pem); the certificate names the node in its Subject CN\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "ca-dir", po::value(&ca_dir), "CA directory (plug-in layout or embedded state); required")(
      "node", po::value(&node), "node name (Pod spec.nodeName); required")(
      "out", po::value(&out), "directory to write the credentials to; required")(
      "trust-domain", po::value(&trust_domain)->default_value(trust_domain), "SPIFFE trust domain")(
      "ttl", po::value(&ttl)->default_value(ttl), "certificate lifetime");
  po::variables_map vm;
  if (auto code = parse(desc, argc, argv, {"ca-dir", "node", "out"}, vm)) return *code;
  auto seconds = parse_duration(ttl);
  if (!seconds) return usage_error(argv[0], "--ttl: " + seconds.error().message);
  auto issuer = CredentialIssuer::load(ca_dir);
  if (!issuer) return failed(argv[0], issuer.error().message);
  if (auto r = write_node_credentials(*issuer, node, trust_domain, *seconds, out); !r)
    return failed(argv[0], r.error().message);
  std::printf("wrote credentials of node %s to %s\n", node.c_str(), out.c_str());
  return 0;
}

int run_serve(int argc, char** argv) {
  ServeOptions o;
  std::string listen = "127.0.0.1:15012", max_ttl = "24h", log_level = "info";
  po::options_description desc(
      "ztunnel ca serve: the CA service; signs workload CSRs for nodes over mutual TLS, only\n"
      "for workloads scheduled on the asking node\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "listen", po::value(&listen)->default_value(listen), "address to serve HTTPS on")(
      "ca-dir", po::value(&o.ca_dir), "Istio plug-in CA directory")(
      "state-dir", po::value(&o.state_dir), "embedded CA directory (created on first start)")(
      "config-dir", po::value(&o.config_dir),
      "directory of Kubernetes YAML (the cluster view); required")(
      "trust-domain", po::value(&o.trust_domain)->default_value(o.trust_domain),
      "SPIFFE trust domain")("max-ttl", po::value(&max_ttl)->default_value(max_ttl),
                             "longest workload certificate issued")(
      "log-level", po::value(&log_level)->default_value(log_level), "trace|debug|info|warn|error");
  po::variables_map vm;
  if (auto code = parse(desc, argc, argv, {"config-dir"}, vm)) return *code;
  if (vm.count("ca-dir") == vm.count("state-dir"))
    return usage_error(argv[0], "exactly one of --ca-dir and --state-dir is required");
  auto endpoint = parse_listen(listen);
  if (!endpoint) return usage_error(argv[0], endpoint.error().message);
  o.listen = *endpoint;
  auto ttl = parse_duration(max_ttl);
  if (!ttl) return usage_error(argv[0], "--max-ttl: " + ttl.error().message);
  o.max_ttl = *ttl;
  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off")
    return usage_error(argv[0], "--log-level: unknown level \"" + log_level + "\"");
  spdlog::set_level(level);
  return run_ca_service(o);
}

}  // namespace

int run_ca_command(int argc, char** argv) {
  if (argc < 3 || std::string_view(argv[2]) == "--help" || std::string_view(argv[2]) == "-h" ||
      std::string_view(argv[2]) == "help") {
    std::fputs(kUsage, argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  const std::pair<std::string_view, std::function<int(int, char**)>> verbs[] = {
      {"init", run_init}, {"issue-node", run_issue_node}, {"serve", run_serve}};
  for (const auto& [name, run] : verbs)
    if (name == argv[2]) return run(argc - 2, argv + 2);
  std::fprintf(stderr, "ztunnel ca: unknown verb \"%s\"\n\n%s", argv[2], kUsage);
  return 2;
}

}  // namespace zmesh::ca
