// Last-good merging of files into the serving set, without the filesystem.
#include <gtest/gtest.h>

#include "config/object_store.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

std::string pod_yaml(const std::string& name, const std::string& ip) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns}\n" +
         "status: {podIP: \"" + ip + "\"}\n---\n";
}

class ObjectStoreTest : public testing::Test {
 protected:
  void set(const std::string& file, const std::string& yaml) {
    store_.set_file(file, parse_yaml(yaml, file, "/cfg/" + file));
  }
  // The IP the serving pod ns/name has, or "" when it is not serving.
  std::string pod_ip(const std::string& name) const {
    auto object = store_.find({"Pod", "ns", name});
    if (!object) return "";
    const auto& pod = std::get<state::Pod>(*object);
    return pod.pod_ips.empty() ? "-" : pod.pod_ips[0].to_string();
  }
  ObjectStore store_;
};

TEST_F(ObjectStoreTest, InvalidUpdateKeepsPreviousVersionAndOthersUpdate) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") + pod_yaml("p2", "10.0.0.2"));
  EXPECT_TRUE(store_.commit().empty());
  EXPECT_EQ(pod_ip("p1"), "10.0.0.1");

  set("a.yaml", pod_yaml("p1", "10.0.0.x") + pod_yaml("p2", "10.0.0.22"));
  auto fresh = store_.commit();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0], "a.yaml: Pod ns/p1: status.podIP: \"10.0.0.x\" is not an IP address");
  EXPECT_EQ(pod_ip("p1"), "10.0.0.1");   // last good version
  EXPECT_EQ(pod_ip("p2"), "10.0.0.22");  // the valid neighbour updated

  // Still invalid: still reported in errors(), not again as fresh.
  set("a.yaml", pod_yaml("p1", "10.0.0.x") + pod_yaml("p2", "10.0.0.22"));
  EXPECT_TRUE(store_.commit().empty());
  EXPECT_EQ(store_.errors().size(), 1u);

  set("a.yaml", pod_yaml("p1", "10.0.0.11") + pod_yaml("p2", "10.0.0.22"));
  store_.commit();
  EXPECT_EQ(pod_ip("p1"), "10.0.0.11");
  EXPECT_TRUE(store_.errors().empty());
}

TEST_F(ObjectStoreTest, NewInvalidObjectIsNotServed) {
  set("a.yaml", pod_yaml("p1", "bad"));
  store_.commit();
  EXPECT_EQ(pod_ip("p1"), "");
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ObjectStoreTest, UnparsableFileKeepsEverythingItDefined) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") + pod_yaml("p2", "10.0.0.2"));
  set("b.yaml", pod_yaml("p3", "10.0.0.3"));
  store_.commit();
  set("a.yaml", "kind: [unclosed\n");
  auto fresh = store_.commit();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].rfind("a.yaml: line 2, column 1: invalid YAML: ", 0), 0u) << fresh[0];
  EXPECT_NE(fresh[0].find("keeping the objects it defined before"), std::string::npos);
  EXPECT_EQ(pod_ip("p1"), "10.0.0.1");
  EXPECT_EQ(pod_ip("p2"), "10.0.0.2");
  EXPECT_EQ(pod_ip("p3"), "10.0.0.3");
}

TEST_F(ObjectStoreTest, RemovedObjectsAndFilesAreDeleted) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") + pod_yaml("p2", "10.0.0.2"));
  set("b.yaml", pod_yaml("p3", "10.0.0.3"));
  store_.commit();
  set("a.yaml", pod_yaml("p2", "10.0.0.2"));
  store_.remove_file("b.yaml");
  store_.commit();
  EXPECT_EQ(pod_ip("p1"), "");
  EXPECT_EQ(pod_ip("p2"), "10.0.0.2");
  EXPECT_EQ(pod_ip("p3"), "");
  EXPECT_EQ(store_.size(), 1u);
}

TEST_F(ObjectStoreTest, DuplicateAcrossFilesRejectsTheLaterDefinition) {
  set("b.yaml", pod_yaml("p1", "10.0.0.1"));
  store_.commit();
  // a.yaml sorts first, but b.yaml already serves p1: the newcomer is the duplicate.
  set("a.yaml", pod_yaml("p1", "10.0.0.9"));
  auto fresh = store_.commit();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0], "a.yaml: Pod ns/p1: metadata.name: duplicate, already defined in b.yaml");
  EXPECT_EQ(pod_ip("p1"), "10.0.0.1");

  // Once b.yaml drops it, a.yaml's definition takes over.
  set("b.yaml", "");
  EXPECT_TRUE(store_.commit().empty());
  EXPECT_EQ(pod_ip("p1"), "10.0.0.9");
}

TEST_F(ObjectStoreTest, DuplicateInOneFileRejectsTheSecondDocument) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") + pod_yaml("p1", "10.0.0.2"));
  auto fresh = store_.commit();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0], "a.yaml: Pod ns/p1: metadata.name: duplicate, already defined in a.yaml");
  EXPECT_EQ(pod_ip("p1"), "10.0.0.1");
}

TEST_F(ObjectStoreTest, SnapshotHoldsServingObjects) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") +
                    "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
                    "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n---\n"
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n");
  store_.commit();
  auto snapshot = store_.build_snapshot();
  EXPECT_EQ(snapshot->workloads().size(), 1u);
  EXPECT_EQ(snapshot->services().size(), 1u);
  EXPECT_EQ(snapshot->namespaces().size(), 1u);
}

std::string peer_auth_yaml(const std::string& ns, const std::string& mode) {
  return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, "
         "namespace: " +
         ns + "}\nspec: {mtls: {mode: " + mode + "}}\n---\n";
}

TEST_F(ObjectStoreTest, SnapshotCompilesPeerAuthenticationsWithTheRootNamespace) {
  set("a.yaml", pod_yaml("p1", "10.0.0.1") + peer_auth_yaml("istio-system", "STRICT"));
  store_.commit();
  auto snapshot = store_.build_snapshot();
  ASSERT_EQ(snapshot->peer_authentications().size(), 1u);
  auto w = snapshot->workload_by_uid("ns/p1");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(snapshot->mtls_mode(*w, 80), state::MtlsMode::kStrict);  // default root namespace

  ObjectStore custom("mesh-root");
  custom.set_file("a.yaml",
                  parse_yaml(pod_yaml("p1", "10.0.0.1") + peer_auth_yaml("istio-system", "STRICT") +
                                 peer_auth_yaml("mesh-root", "DISABLE"),
                             "a.yaml", "/cfg/a.yaml"));
  EXPECT_TRUE(custom.commit().empty());
  snapshot = custom.build_snapshot();
  EXPECT_EQ(snapshot->root_namespace(), "mesh-root");
  EXPECT_EQ(snapshot->mtls_mode(*snapshot->workload_by_uid("ns/p1"), 80),
            state::MtlsMode::kDisable);
}

TEST_F(ObjectStoreTest, InvalidPeerAuthenticationKeepsItsLastGoodVersion) {
  set("a.yaml", peer_auth_yaml("ns", "STRICT"));
  store_.commit();
  set("a.yaml", peer_auth_yaml("ns", "strict"));
  auto fresh = store_.commit();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0],
            "a.yaml: PeerAuthentication ns/default: spec.mtls.mode: \"strict\" is not a valid "
            "mode (UNSET, DISABLE, PERMISSIVE or STRICT)");
  auto object = store_.find({"PeerAuthentication", "ns", "default"});
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(std::get<state::PeerAuthentication>(*object).mode, state::MtlsMode::kStrict);
}

}  // namespace
}  // namespace zmesh::config
