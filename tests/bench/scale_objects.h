// The mesh at scale that the config-plane benchmarks feed through the daemon's own path:
// Services (one per app, 100 namespaces), their Pods, and a mix of policies, as Kubernetes
// JSON objects.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::bench {

using nlohmann::json;

inline std::string ip(uint32_t base, uint32_t n) {
  uint32_t a = base + n;
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

inline json pod(int svc, int i, int n, const std::string& version = "v1") {
  std::string name = "app" + std::to_string(svc) + "-" + std::to_string(i);
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "ns" + std::to_string(svc % 100)},
        {"labels", {{"app", "app" + std::to_string(svc)}, {"version", version}}}}},
      {"spec",
       {{"nodeName", "node" + std::to_string(n % 500)},
        {"serviceAccountName", "sa" + std::to_string(svc)},
        {"containers",
         json::array({{{"name", "app"}, {"ports", json::array({{{"containerPort", 8080}}})}}})}}},
      {"status",
       {{"phase", "Running"}, {"podIP", ip(0x0a000000u, static_cast<uint32_t>(n) + 10)}}}};
}

inline json service(int svc) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", "app" + std::to_string(svc)}, {"namespace", "ns" + std::to_string(svc % 100)}}},
      {"spec",
       {{"clusterIP", ip(0x0a600000u, static_cast<uint32_t>(svc) + 10)},
        {"selector", {{"app", "app" + std::to_string(svc)}}},
        {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}})}}}};
}

// A mix of the policy kinds: AuthorizationPolicy, PeerAuthentication, VirtualService,
// DestinationRule.
inline json policy(int k) {
  std::string ns = "ns" + std::to_string(k % 100), app = "app" + std::to_string(k);
  json meta = {{"name", "p" + std::to_string(k)}, {"namespace", ns}};
  switch (k % 4) {
    case 0:
      return {{"apiVersion", "security.istio.io/v1"},
              {"kind", "AuthorizationPolicy"},
              {"metadata", meta},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", app}}}}},
                {"action", "ALLOW"},
                {"rules",
                 json::array(
                     {{{"from", json::array({{{"source",
                                               {{"principals", json::array({"cluster.local/ns/" +
                                                                            ns + "/sa/sa1"})}}}}})},
                       {"to",
                        json::array({{{"operation", {{"ports", json::array({"8080"})}}}}})}}})}}}};
    case 1:
      return {{"apiVersion", "security.istio.io/v1"},
              {"kind", "PeerAuthentication"},
              {"metadata", meta},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", app}}}}}, {"mtls", {{"mode", "STRICT"}}}}}};
    case 2:
      return {{"apiVersion", "networking.istio.io/v1"},
              {"kind", "VirtualService"},
              {"metadata", meta},
              {"spec",
               {{"hosts", json::array({app})},
                {"http",
                 json::array(
                     {{{"route", json::array({{{"destination", {{"host", app}, {"subset", "v1"}}},
                                               {"weight", 90}},
                                              {{"destination", {{"host", app}, {"subset", "v2"}}},
                                               {"weight", 10}}})}}})}}}};
    default:
      return {{"apiVersion", "networking.istio.io/v1"},
              {"kind", "DestinationRule"},
              {"metadata", meta},
              {"spec",
               {{"host", app},
                {"subsets", json::array({{{"name", "v1"}, {"labels", {{"version", "v1"}}}},
                                         {{"name", "v2"}, {"labels", {{"version", "v2"}}}}})}}}};
  }
}

inline std::string unit_of(const json& o) {
  return "k8s:" + o["kind"].get<std::string>() + "/" +
         o["metadata"]["namespace"].get<std::string>() + "/" +
         o["metadata"]["name"].get<std::string>();
}

}  // namespace zmesh::bench
