// Decoding good Kubernetes YAML of each kind into the model.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

using boost::asio::ip::make_address;

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(ZMESH_SOURCE_DIR) + "/tests/unit/testdata/config/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<DecodedObject> parse_ok(const std::string& text, const std::string& file = "t.yaml") {
  auto parsed = parse_yaml(text, file, "/dir/" + file);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return {};
  for (const auto& d : *parsed) EXPECT_TRUE(d.object) << d.error;
  return std::move(parsed).value();
}

template <typename T>
const T& as(const DecodedObject& d) {
  return std::get<T>(*d.object);
}

TEST(YamlParser, MultiDocumentFileOfEachKind) {
  auto objects = parse_ok(read_fixture("mesh.yaml"), "mesh.yaml");
  ASSERT_EQ(objects.size(), 4u);  // the Deployment is ignored

  const auto& ns = as<state::Namespace>(objects[0]);
  EXPECT_EQ(ns.meta.name, "shop");
  EXPECT_EQ(ns.meta.namespace_, "");
  EXPECT_TRUE(ns.ambient());
  EXPECT_EQ(objects[0].key, (ObjectKey{"Namespace", "", "shop"}));

  const auto& pod = as<state::Pod>(objects[1]);
  EXPECT_EQ(pod.meta.name, "web-7d9f8b6c5-x2x4z");
  EXPECT_EQ(pod.meta.namespace_, "shop");
  EXPECT_EQ(pod.meta.generate_name, "web-7d9f8b6c5-");
  EXPECT_EQ(pod.meta.labels.at("app"), "web");
  EXPECT_EQ(pod.meta.annotations.at("example.com/owner"), "team-a");
  EXPECT_EQ(pod.meta.source, "/dir/mesh.yaml#2");
  EXPECT_EQ(pod.node_name, "node-1");
  EXPECT_EQ(pod.service_account, "web-sa");
  ASSERT_EQ(pod.ports.size(), 2u);
  EXPECT_EQ(pod.ports[0].name, "http");
  EXPECT_EQ(pod.ports[0].port, 8080);
  EXPECT_EQ(pod.ports[0].protocol, "TCP");
  EXPECT_EQ(pod.ports[1].port, 9090);
  EXPECT_EQ(pod.ports[1].protocol, "UDP");
  ASSERT_EQ(pod.pod_ips.size(), 2u);  // podIP and podIPs merged without duplicates
  EXPECT_EQ(pod.pod_ips[0], make_address("10.1.0.5"));
  EXPECT_EQ(pod.pod_ips[1], make_address("fd00::5"));
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_TRUE(pod.ready);

  EXPECT_FALSE(as<state::Pod>(objects[2]).ready);  // Ready condition "False"

  const auto& svc = as<state::Service>(objects[3]);
  EXPECT_EQ(svc.meta.name, "web");
  ASSERT_EQ(svc.cluster_ips.size(), 2u);
  EXPECT_EQ(svc.cluster_ips[0], make_address("10.96.0.10"));
  EXPECT_EQ(svc.cluster_ips[1], make_address("fd00:96::10"));
  EXPECT_EQ(svc.selector, (state::Labels{{"app", "web"}}));
  ASSERT_EQ(svc.ports.size(), 2u);
  EXPECT_EQ(svc.ports[0].name, "http");
  EXPECT_EQ(svc.ports[0].port, 80);
  EXPECT_EQ(svc.ports[0].target_port, 0);
  EXPECT_EQ(svc.ports[0].target_port_name, "http");
  EXPECT_EQ(svc.ports[0].app_protocol, "http");
  EXPECT_EQ(svc.ports[1].target_port, 9090);
  EXPECT_EQ(svc.ports[1].target_port_name, "");
  EXPECT_EQ(svc.hostname(), "web.shop.svc.cluster.local");
}

TEST(YamlParser, ListWithDefaultsAndHeadlessService) {
  auto objects = parse_ok(read_fixture("list.yaml"), "list.yaml");
  ASSERT_EQ(objects.size(), 2u);
  const auto& pod = as<state::Pod>(objects[0]);
  EXPECT_EQ(pod.meta.namespace_, "default");
  EXPECT_EQ(pod.service_account, "default");
  EXPECT_EQ(pod.phase, "");
  EXPECT_TRUE(pod.ready);  // no Ready condition
  EXPECT_EQ(pod.meta.source, "/dir/list.yaml#1/items[0]");

  const auto& svc = as<state::Service>(objects[1]);
  EXPECT_EQ(objects[1].key, (ObjectKey{"Service", "default", "db"}));
  EXPECT_TRUE(svc.cluster_ips.empty());  // headless
  ASSERT_EQ(svc.ports.size(), 1u);
  EXPECT_EQ(svc.ports[0].name, "");  // optional for a single port
  EXPECT_EQ(svc.ports[0].protocol, "TCP");
  EXPECT_EQ(svc.ports[0].target_port, 0);  // same as port
}

TEST(YamlParser, EmptyDocumentsAndUnknownKindsAreSkipped) {
  auto objects = parse_ok(
      "---\n---\n# only a comment\n---\napiVersion: networking.istio.io/v1\n"
      "kind: Gateway\nmetadata: {name: gw}\n---\napiVersion: v1\nkind: ConfigMap\n"
      "metadata: {name: cm}\n");
  EXPECT_TRUE(objects.empty());
  EXPECT_TRUE(parse_ok("").empty());
}

TEST(YamlParser, ServiceAccountAliasHostNetworkAndStringForms) {
  auto objects = parse_ok(R"(
apiVersion: v1
kind: Pod
metadata:
  name: node-agent
  namespace: kube-system
  labels: {"version": "1.0", flag: "true"}
spec:
  serviceAccount: agent
  hostNetwork: true
status:
  podIP: 192.168.1.10
  phase: Pending
)");
  ASSERT_EQ(objects.size(), 1u);
  const auto& pod = as<state::Pod>(objects[0]);
  EXPECT_EQ(pod.service_account, "agent");
  EXPECT_TRUE(pod.host_network);
  EXPECT_EQ(pod.meta.labels.at("version"), "1.0");  // quoted: a string
  EXPECT_EQ(pod.phase, "Pending");
}

TEST(YamlParser, EmptyNameIsRequiredNotAnUnnamedObject) {
  // Found by fuzzing: `name: ""` was accepted without a key, and the store then read the
  // missing key. Every kind's name is required, empty or absent.
  for (const char* name : {"\"\"", "null", "~"}) {
    auto parsed = parse_yaml(
        std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: ") + name + ", namespace: shop}\n",
        "t.yaml", "/t.yaml");
    ASSERT_TRUE(parsed.ok());
    const auto& objects = *parsed;
    ASSERT_EQ(objects.size(), 1u) << name;
    EXPECT_EQ(objects[0].object, nullptr) << name;
    EXPECT_NE(objects[0].error.find("metadata.name: required"), std::string::npos)
        << objects[0].error;
  }
}

TEST(YamlParser, JsonIsYamlToo) {
  auto objects = parse_ok(
      R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "ns"},
          "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 443, "targetPort": 8443}]}})");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(as<state::Service>(objects[0]).ports[0].target_port, 8443);
}

TEST(YamlParser, SyntaxErrorRejectsTheWholeFileWithItsLine) {
  auto parsed = parse_yaml("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n", "bad.yaml", "x");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message.rfind("bad.yaml: line ", 0), 0u) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("invalid YAML"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::config
