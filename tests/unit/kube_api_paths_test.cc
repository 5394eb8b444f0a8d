// The API server's URL and the REST paths of discovery, paged LIST and WATCH.
#include <gtest/gtest.h>

#include "kube/api_paths.h"

namespace zmesh::kube {
namespace {

TEST(KubeServerUrl, SchemesPortsIpv6AndPrefixes) {
  auto a = parse_server_url("https://10.96.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "10.96.0.1");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->base_path, "");

  auto b = parse_server_url("http://127.0.0.1:8080/proxy/k8s/");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, "8080");
  EXPECT_EQ(b->base_path, "/proxy/k8s");

  auto c = parse_server_url("https://[fd00::1]:6443");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "fd00::1");
  EXPECT_EQ(c->port, "6443");

  EXPECT_EQ(parse_server_url("https://api.example:6443")->host, "api.example");
  for (const char* bad : {"ftp://x", "10.0.0.1:443", "https://", "https://h:p0rt", "https://[::1"})
    EXPECT_FALSE(parse_server_url(bad).ok()) << bad;
}

TEST(KubePlural, AsKubernetesNamesResources) {
  EXPECT_EQ(plural_of("Pod"), "pods");
  EXPECT_EQ(plural_of("Namespace"), "namespaces");
  EXPECT_EQ(plural_of("Service"), "services");
  EXPECT_EQ(plural_of("ServiceAccount"), "serviceaccounts");
  EXPECT_EQ(plural_of("EndpointSlice"), "endpointslices");
  EXPECT_EQ(plural_of("VirtualService"), "virtualservices");
  EXPECT_EQ(plural_of("DestinationRule"), "destinationrules");
  EXPECT_EQ(plural_of("PeerAuthentication"), "peerauthentications");
  EXPECT_EQ(plural_of("AuthorizationPolicy"), "authorizationpolicies");
  EXPECT_EQ(plural_of("RequestAuthentication"), "requestauthentications");
  EXPECT_EQ(plural_of("Ingress"), "ingresses");
  EXPECT_EQ(plural_of("Gateway"), "gateways");  // vowel before y
}

TEST(KubePaths, DiscoveryListAndWatch) {
  Resource pods{"", "v1", "pods"};
  Resource vs{"networking.istio.io", "v1beta1", "virtualservices"};
  EXPECT_EQ(discovery_path("networking.istio.io"), "/apis/networking.istio.io");
  EXPECT_EQ(api_version_of(pods), "v1");
  EXPECT_EQ(api_version_of(vs), "networking.istio.io/v1beta1");
  EXPECT_EQ(list_path(pods, 500, ""), "/api/v1/pods?limit=500");
  EXPECT_EQ(
      list_path(vs, 500, "eyJ2Ijoi+/="),
      "/apis/networking.istio.io/v1beta1/virtualservices?limit=500&continue=eyJ2Ijoi%2B%2F%3D");
  EXPECT_EQ(
      watch_path(pods, "12345", 300),
      "/api/v1/pods?watch=1&resourceVersion=12345&allowWatchBookmarks=true&timeoutSeconds=300");
}

TEST(KubePaths, FieldSelector) {
  Resource cm{"", "v1", "configmaps", "metadata.name=istio"};
  EXPECT_EQ(list_path(cm, 500, "tok"),
            "/api/v1/configmaps?limit=500&continue=tok&fieldSelector=metadata.name%3Distio");
  EXPECT_EQ(watch_path(cm, "7", 60),
            "/api/v1/configmaps?watch=1&resourceVersion=7&allowWatchBookmarks=true"
            "&timeoutSeconds=60&fieldSelector=metadata.name%3Distio");
}

}  // namespace
}  // namespace zmesh::kube
