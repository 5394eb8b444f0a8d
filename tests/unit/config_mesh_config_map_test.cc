// ConfigMap `istio` through the ObjectStore into Snapshot::mesh_config: last good on a broken
// `mesh`, other ConfigMaps ignored, the compiled meshConfig shared while it does not change.
#include <gtest/gtest.h>

#include "config/object_store.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

std::string config_map(const std::string& ns, const std::string& name, const std::string& mesh,
                       const std::string& labels = "{}") {
  std::string out = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name +
                    ", namespace: " + ns + ", labels: " + labels + "}\n";
  if (!mesh.empty()) {
    out += "data:\n  meshNetworks: 'networks: {}'\n  mesh: |\n";
    size_t start = 0;
    while (start < mesh.size()) {
      size_t end = mesh.find('\n', start);
      if (end == std::string::npos) end = mesh.size();
      out += "    " + mesh.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  return out + "---\n";
}

const char* kAuthz =
    "extensionProviders:\n- name: authz\n  envoyExtAuthzHttp:\n"
    "    service: authz.foo.svc.cluster.local\n    port: 8000\n";
const char* kBroken =
    "extensionProviders:\n- name: authz\n  envoyExtAuthzHttp:\n"
    "    service: authz.foo.svc.cluster.local\n    port: 0\n";

class MeshConfigMapTest : public testing::Test {
 protected:
  std::vector<std::string> set(const std::string& file, const std::string& yaml) {
    store_.set_file(file, parse_yaml(yaml, file, "/cfg/" + file));
    return store_.commit();
  }
  const state::MeshConfig& mesh() const { return snapshot()->mesh_config(); }
  std::shared_ptr<const state::Snapshot> snapshot() const { return store_.build_snapshot(); }

  ObjectStore store_;  // root namespace istio-system
};

TEST_F(MeshConfigMapTest, DefaultsWithoutTheConfigMap) {
  EXPECT_EQ(mesh(), state::MeshConfig{});
  EXPECT_EQ(snapshot()->to_json()["meshConfig"]["trustDomain"], "cluster.local");
}

TEST_F(MeshConfigMapTest, BrokenMeshKeepsTheLastGoodOne) {
  EXPECT_TRUE(set("mesh.yaml", config_map("istio-system", "istio", kAuthz)).empty());
  ASSERT_NE(mesh().find_provider("authz"), nullptr);
  EXPECT_EQ(mesh().find_provider("authz")->ext_authz_http()->port, 8000u);
  auto dump = snapshot()->to_json()["meshConfig"];
  EXPECT_EQ(dump["extensionProviders"][3]["name"], "authz");
  EXPECT_EQ(dump["extensionProviders"][3]["envoyExtAuthzHttp"]["port"], 8000);
  EXPECT_EQ(dump["extensionProviders"][3]["envoyExtAuthzHttp"]["timeout"], "600s");

  auto fresh = set("mesh.yaml", config_map("istio-system", "istio", kBroken));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0],
            "mesh.yaml: ConfigMap istio-system/istio: data.mesh: meshConfig "
            "extensionProviders[0].envoyExtAuthzHttp.port: must be 1-65535, got 0");
  EXPECT_EQ(store_.errors(), fresh);
  ASSERT_NE(mesh().find_provider("authz"), nullptr);  // the last good one still serves
  EXPECT_EQ(mesh().find_provider("authz")->ext_authz_http()->port, 8000u);

  // Not YAML at all inside `mesh`: the same.
  fresh = set("mesh.yaml", config_map("istio-system", "istio", "a: [unclosed"));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].rfind("mesh.yaml: ConfigMap istio-system/istio: data.mesh: meshConfig: "
                           "line 2, column 1: invalid YAML",
                           0),
            0u)
      << fresh[0];
  EXPECT_NE(mesh().find_provider("authz"), nullptr);

  // Fixed: served, error gone; deleted: defaults.
  set("mesh.yaml", config_map("istio-system", "istio", "enableTracing: false"));
  EXPECT_TRUE(store_.errors().empty());
  EXPECT_FALSE(mesh().enable_tracing);
  EXPECT_EQ(mesh().find_provider("authz"), nullptr);
  store_.remove_file("mesh.yaml");
  store_.commit();
  EXPECT_EQ(mesh(), state::MeshConfig{});
}

TEST_F(MeshConfigMapTest, OtherConfigMapsAreIgnored) {
  std::string others = config_map("istio-system", "istio-ca-root-cert", kBroken) +
                       config_map("default", "istio", kBroken) +  // not the root namespace
                       config_map("istio-system", "app-settings", "") +
                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad_name!}\n"
                       "data: [not, a, map]\n";
  EXPECT_TRUE(set("others.yaml", others).empty());
  EXPECT_TRUE(store_.errors().empty());
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(mesh(), state::MeshConfig{});
  EXPECT_EQ(store_.find({"ConfigMap", "default", "istio"}), nullptr);

  // A store whose root namespace is `default` reads that one instead.
  ObjectStore rooted("default");
  rooted.set_file("m.yaml", parse_yaml(config_map("default", "istio", kAuthz), "m.yaml", "m"));
  EXPECT_TRUE(rooted.commit().empty());
  EXPECT_NE(rooted.build_snapshot()->mesh_config().find_provider("authz"), nullptr);
}

TEST_F(MeshConfigMapTest, SharedBetweenSnapshotsWhileUnchanged) {
  set("mesh.yaml", config_map("istio-system", "istio", kAuthz));
  auto first = snapshot()->mesh_config_ptr();

  set("pods.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n"
      "status: {podIP: 10.0.0.1}\n");
  EXPECT_EQ(snapshot()->mesh_config_ptr(), first);  // another kind changed

  set("mesh.yaml", config_map("istio-system", "istio", kAuthz, "{team: mesh}"));
  EXPECT_EQ(snapshot()->mesh_config_ptr(), first);  // the ConfigMap changed, its meshConfig not

  set("mesh.yaml", config_map("istio-system", "istio", "enableTracing: false"));
  EXPECT_NE(snapshot()->mesh_config_ptr(), first);
  EXPECT_FALSE(mesh().enable_tracing);
}

TEST_F(MeshConfigMapTest, FromTheKubernetesApiAsJson) {
  std::string json = R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "istio", "namespace": "istio-system", "resourceVersion": "7"},
    "data": {"mesh": "defaultConfig:\n  gatewayTopology:\n    numTrustedProxies: 2\n"}})";
  store_.set_file("k8s:ConfigMap/istio-system/istio",
                  parse_object(json, "kubernetes", "k8s:ConfigMap/istio-system/istio"));
  EXPECT_TRUE(store_.commit().empty());
  EXPECT_EQ(mesh().default_config.gateway_topology.num_trusted_proxies, 2u);

  // Another ConfigMap (a watch without fieldSelector would deliver it): nothing kept.
  auto other = parse_object(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "kube-root-ca.crt", "namespace": "istio-system"}, "data": {}})",
                            "kubernetes", "x");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

}  // namespace
}  // namespace zmesh::config
