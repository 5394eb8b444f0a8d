// What the API server sends: LIST pages, watch events (every type, 410 ERROR), Status
// bodies, discovery documents; and that an API object decodes through the same decoders as
// a file (JSON read by yaml-cpp, types checked as the directory source checks them).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/yaml_parser.h"
#include "kube/api_objects.h"

namespace zmesh::kube {
namespace {

using json = nlohmann::json;

TEST(KubeWatchEvent, AddedModifiedDeletedCarryTheObject) {
  for (auto [text, type] :
       std::vector<std::pair<std::string, EventType>>{{"ADDED", EventType::kAdded},
                                                      {"MODIFIED", EventType::kModified},
                                                      {"DELETED", EventType::kDeleted}}) {
    std::string line = R"({"type":")" + text +
                       R"(","object":{"metadata":{"name":"web","namespace":"prod",)"
                       R"("resourceVersion":"42","managedFields":[{"manager":"kubectl"}]},)"
                       R"("spec":{"nodeName":"n1"}}})";
    auto e = parse_watch_event(line, "v1", "Pod");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->type, type);
    EXPECT_EQ(e->object.key(), "prod/web");
    EXPECT_EQ(e->object.resource_version, "42");
    json object = json::parse(e->object.json);
    EXPECT_EQ(object["apiVersion"], "v1");
    EXPECT_EQ(object["kind"], "Pod");
    EXPECT_EQ(object["spec"]["nodeName"], "n1");
    EXPECT_FALSE(object["metadata"].contains("managedFields"));
  }
}

TEST(KubeWatchEvent, BookmarkAndErrors) {
  auto bookmark = parse_watch_event(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"77"}}})",
      "v1", "Pod");
  ASSERT_TRUE(bookmark.ok()) << bookmark.error().message;
  EXPECT_EQ(bookmark->type, EventType::kBookmark);
  EXPECT_EQ(bookmark->object.resource_version, "77");

  auto gone = parse_watch_event(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)"
      R"("message":"too old resource version: 5 vs 90","reason":"Expired","code":410}})",
      "v1", "Pod");
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(gone->type, EventType::kError);
  EXPECT_EQ(gone->error_code, 410);
  EXPECT_NE(gone->error_message.find("too old"), std::string::npos);

  for (const char* bad : {
           "not json",
           "[]",
           R"({"type":"SURPRISE","object":{}})",
           R"({"type":"ADDED"})",
           R"({"type":"ADDED","object":{"spec":{}}})",
           R"({"type":"ADDED","object":{"metadata":{"namespace":"a"}}})",
           R"({"type":"BOOKMARK","object":{"metadata":{}}})",
       }) {
    EXPECT_FALSE(parse_watch_event(bad, "v1", "Pod").ok()) << bad;
  }
}

TEST(KubeListPage, ItemsGetApiVersionAndKindAndThePageItsTokens) {
  auto page = parse_list_page(
      R"({"kind":"VirtualServiceList","apiVersion":"networking.istio.io/v1",)"
      R"("metadata":{"resourceVersion":"1000","continue":"eyJ2IjoibWV0YSJ9"},)"
      R"("items":[{"metadata":{"name":"a","namespace":"x","resourceVersion":"10"},"spec":{}},)"
      R"({"metadata":{"name":"b","namespace":"y","resourceVersion":"11"},"spec":{}}]})",
      "networking.istio.io/v1", "VirtualService");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->resource_version, "1000");
  EXPECT_EQ(page->continue_token, "eyJ2IjoibWV0YSJ9");
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1].key(), "y/b");
  json item = json::parse(page->items[0].json);
  EXPECT_EQ(item["apiVersion"], "networking.istio.io/v1");
  EXPECT_EQ(item["kind"], "VirtualService");

  auto last =
      parse_list_page(R"({"metadata":{"resourceVersion":"5"},"items":null})", "v1", "Namespace");
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_TRUE(last->items.empty());
  EXPECT_EQ(last->continue_token, "");

  EXPECT_FALSE(parse_list_page(R"({"items":[]})", "v1", "Pod").ok());  // no resourceVersion
  EXPECT_FALSE(
      parse_list_page(R"({"metadata":{"resourceVersion":"5"},"items":{}})", "v1", "Pod").ok());
}

TEST(KubeStatus, DescribesStatusBodiesAndExcerptsOthers) {
  EXPECT_EQ(describe_error_body(
                R"({"kind":"Status","reason":"Forbidden","message":"pods is forbidden"})"),
            "Forbidden: pods is forbidden");
  EXPECT_EQ(describe_error_body("plain\ntext"), "plain text");
  EXPECT_EQ(describe_error_body(std::string(500, 'x')).size(), 200u);
}

TEST(KubeDiscovery, PreferredVersionThenTheRegistrysOrder) {
  const std::vector<std::string> istio = {"v1", "v1beta1", "v1alpha3"};
  auto served = [](const std::string& preferred, std::vector<std::string> versions) {
    json doc = {{"kind", "APIGroup"}, {"name", "networking.istio.io"}};
    for (const auto& v : versions) doc["versions"].push_back({{"version", v}});
    if (!preferred.empty()) doc["preferredVersion"] = {{"version", preferred}};
    return doc.dump();
  };
  EXPECT_EQ(*choose_version(served("v1", {"v1", "v1beta1", "v1alpha3"}), istio), "v1");
  // An older Istio: preferred v1beta1.
  EXPECT_EQ(*choose_version(served("v1beta1", {"v1beta1", "v1alpha3"}), istio), "v1beta1");
  // Preferred version unknown to us: the first of ours the server serves.
  EXPECT_EQ(*choose_version(served("v2", {"v2", "v1alpha3", "v1beta1"}), istio), "v1beta1");
  auto none = choose_version(served("v2", {"v2"}), istio);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("v2"), std::string::npos);
  EXPECT_FALSE(choose_version(std::string("<html>"), istio).ok());
}

// An API object takes the directory source's path through the decoders: same model, same
// type checks (a quoted port is a string), same error format with the field path.
TEST(KubeObjectDecoding, ApiJsonDecodesLikeYaml) {
  auto page = parse_list_page(
      R"({"metadata":{"resourceVersion":"9"},"items":[)"
      R"({"metadata":{"name":"web","namespace":"prod","resourceVersion":"3","labels":{"app":"web"}},)"
      R"("spec":{"ports":[{"port":80,"targetPort":8080}],"selector":{"app":"web"},)"
      R"("clusterIP":"10.96.0.10"}},)"
      R"({"metadata":{"name":"bad","namespace":"prod","resourceVersion":"4"},)"
      R"("spec":{"ports":[{"port":"80"}]}}]})",
      "v1", "Service");
  ASSERT_TRUE(page.ok()) << page.error().message;
  auto good = config::parse_object(page->items[0].json, "kubernetes", "k8s:Service/prod/web");
  ASSERT_TRUE(good.ok()) << good.error().message;
  ASSERT_EQ(good->size(), 1u);
  ASSERT_TRUE((*good)[0].object) << (*good)[0].error;
  EXPECT_EQ((*good)[0].key->display(), "Service prod/web");
  EXPECT_EQ(config::meta_of(*(*good)[0].object).source, "k8s:Service/prod/web");

  auto bad = config::parse_object(page->items[1].json, "kubernetes", "k8s:Service/prod/bad");
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_FALSE((*bad)[0].object);
  EXPECT_NE((*bad)[0].error.find("kubernetes: Service prod/bad: spec.ports[0].port"),
            std::string::npos)
      << (*bad)[0].error;

  auto unknown = config::parse_object(R"({"apiVersion":"apps/v1","kind":"Deployment",)"
                                      R"("metadata":{"name":"d"}})",
                                      "kubernetes", "k8s:Deployment/d");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->empty());
}

}  // namespace
}  // namespace zmesh::kube
