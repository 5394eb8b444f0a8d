#include "app/endpoints.h"

#include <spdlog/spdlog.h>

#include "admin/http_server.h"
#include "app/bpf_metrics.h"
#include "control/control.h"
#include "control/ops.h"
#include "net/control_server.h"

namespace zmesh::app {
using nlohmann::json;

struct Endpoints {
  std::unique_ptr<admin::HttpServer> admin, stats, readiness;
  std::unique_ptr<net::ControlServer> control;
};

void EndpointsDeleter::operator()(Endpoints* e) const {
  delete e;
}

json config_dump(const DaemonView& v) {
  json dump = v.store.current()->to_json();
  dump["node"] = v.options.node;
  dump["enrolled"] = v.registry.to_json();
  dump["configErrors"] = v.source.errors();
  dump["certificates"] = v.secrets.to_json();
  return dump;
}

json certificates(const DaemonView& v) {
  return {{"trustDomain", v.options.trust_domain},
          {"ca", v.ca_description},
          {"certificates", v.secrets.to_json()}};
}

json status(const DaemonView& v) {
  auto uptime = std::chrono::steady_clock::now() - v.started;
  return {
      {"node", v.options.node},
      {"version", ZMESH_VERSION},
      {"uptimeSeconds", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
      {"workers", v.options.workers},
      {"bpfPinRoot", v.options.bpf_pin_root},
      {"bpfPinsReused", v.datapath.reused()},
      {"cgroupRoot", v.options.cgroup_root},
      {"configDir", v.options.config_dir},
      {"configSource", uses_kubernetes_api(v.options)
                           ? (v.options.in_cluster ? "kubernetes (in-cluster)"
                                                   : "kubernetes (" + v.options.kubeconfig + ")")
                           : "directory"},
      {"configSynced", v.source.synced()},
      {"configErrors", v.source.errors()},
      {"enrolled", v.registry.to_json()},
      {"pods", v.agent.pods_json()},
      {"discoverPods", v.options.discover_pods},
      {"ports", {{"outbound", 15001}, {"inboundPlaintext", 15006}, {"inboundHbone", 15008}}},
      {"trustDomain", v.options.trust_domain},
      {"ca", v.ca_description},
  };
}

namespace {

json handle_control(DaemonView& v, const json& request, UniqueFd fd) {
  auto error = [](const std::string& message) { return json{{"ok", false}, {"error", message}}; };
  std::string op = request.value("op", "");
  try {
    if (op == control::kOpEnroll) {
      auto r = v.agent.enroll(request.at("pod"), request.value("netns", ""), std::move(fd));
      return r ? json{{"ok", true}} : error(r.error().message);
    }
    if (op == control::kOpUnenroll) {
      auto r = v.agent.unenroll(request.at("pod"));
      return r ? json{{"ok", true}} : error(r.error().message);
    }
    if (op == control::kOpCniAdd) return v.agent.cni_add(request, std::move(fd));
    if (op == control::kOpCniDel) return v.agent.cni_del(request);
    if (op == control::kOpCniCheck) return v.agent.cni_check(request);
    if (op == "status") return json{{"ok", true}, {"status", status(v)}};
    if (op == "config_dump") return json{{"ok", true}, {"config", config_dump(v)}};
    if (op == "certs") return json{{"ok", true}, {"certs", certificates(v)}};
  } catch (const std::exception& e) {
    return error("bad " + op + " request: " + e.what());
  }
  return error("unknown op \"" + op + "\"");
}

admin::Response json_response(const json& body) {
  return {200, "application/json", body.dump(2) + "\n"};
}

}  // namespace

Result<EndpointsHandle> start_endpoints(boost::asio::io_context& io, DaemonView& v,
                                        std::atomic<bool>& ready) {
  EndpointsHandle e(new Endpoints());
  v.metrics.add_collector([&v] { return render_bpf_metrics(v.datapath.maps()); });

  auto prometheus = [&v](const admin::Request&) {
    return admin::Response{200, "text/plain; version=0.0.4", v.metrics.render_prometheus()};
  };
  e->admin = std::make_unique<admin::HttpServer>(
      io, v.options.admin_addr,
      std::map<std::string, admin::Handler>{
          {"/config_dump", [&v](const admin::Request&) { return json_response(config_dump(v)); }},
          {"/status", [&v](const admin::Request&) { return json_response(status(v)); }},
          {"/certs", [&v](const admin::Request&) { return json_response(certificates(v)); }},
      });
  e->stats = std::make_unique<admin::HttpServer>(
      io, v.options.stats_addr,
      std::map<std::string, admin::Handler>{{"/stats/prometheus", prometheus},
                                            {"/metrics", prometheus}});
  e->readiness = std::make_unique<admin::HttpServer>(
      io, v.options.readiness_addr,
      std::map<std::string, admin::Handler>{
          {"/healthz/ready", [&ready](const admin::Request&) {
             return ready ? admin::Response{200, "text/plain", "ready\n"}
                          : admin::Response{503, "text/plain", "not ready\n"};
           }}});
  e->control = std::make_unique<net::ControlServer>(
      io, v.options.run_dir + "/" + control::kSocketName,
      [&v](const json& request, UniqueFd fd) { return handle_control(v, request, std::move(fd)); });

  for (auto* server : {e->admin.get(), e->stats.get(), e->readiness.get()})
    if (auto r = server->start(); !r) return r.error();
  if (auto r = e->control->start(); !r) return r.error();
  return e;
}

}  // namespace zmesh::app
