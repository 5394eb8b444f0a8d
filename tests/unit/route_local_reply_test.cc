// Locally made responses (NR 404, directResponse, aborts) as Envoy shapes them, for plain
// HTTP and for gRPC clients; and the URI helpers route matching relies on.
#include <gtest/gtest.h>

#include "route/grpc_status.h"
#include "route/local_reply.h"
#include "route/uri_parts.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

TEST(RouteLocalReply, PlainHttp) {
  LocalReply nr = local_reply(404, "", false);
  EXPECT_EQ(nr.status, 404u);
  EXPECT_TRUE(nr.headers.empty());
  state::HttpDirectResponse dr{503, std::string("maintenance"), false};
  LocalReply r = direct_response(dr, false);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body, "maintenance");
  EXPECT_EQ(r.headers.get("content-type"), "text/plain");
  EXPECT_EQ(direct_response({204, std::nullopt, false}, false).body, "");
}

TEST(RouteLocalReply, GrpcClientsGetAGrpcStatus) {
  LocalReply nr = local_reply(404, "", true);
  EXPECT_EQ(nr.status, 200u);
  EXPECT_EQ(nr.headers.get("content-type"), "application/grpc");
  EXPECT_EQ(nr.headers.get("grpc-status"), "12");  // UNIMPLEMENTED
  EXPECT_FALSE(nr.headers.contains("grpc-message"));
  LocalReply msg = local_reply(503, "down 100%\n", true);
  EXPECT_EQ(msg.headers.get("grpc-status"), "14");
  EXPECT_EQ(msg.headers.get("grpc-message"), "down 100%25%0A");
  EXPECT_TRUE(msg.body.empty());
}

TEST(RouteLocalReply, HttpToGrpcStatusAndNames) {
  struct Row {
    uint32_t http, grpc;
  };
  for (Row r : {Row{400, 13}, Row{401, 16}, Row{403, 7}, Row{404, 12}, Row{429, 14}, Row{502, 14},
                Row{503, 14}, Row{504, 14}, Row{500, 2}, Row{200, 2}}) {
    EXPECT_EQ(grpc_status_for_http(r.http), r.grpc) << r.http;
  }
  EXPECT_EQ(grpc_status_code("OK"), 0u);
  EXPECT_EQ(grpc_status_code("DEADLINE_EXCEEDED"), 4u);
  EXPECT_EQ(grpc_status_code("UNAUTHENTICATED"), 16u);
  EXPECT_EQ(grpc_status_code("unavailable"), std::nullopt);
}

TEST(RouteLocalReply, GrpcRequestDetection) {
  auto grpc = testing::get("/pkg.Svc/Call", {{"Content-Type", "application/grpc+proto"}});
  auto json = testing::get("/", {{"content-type", "application/json"}});
  EXPECT_TRUE(is_grpc_request(grpc.view()));
  EXPECT_FALSE(is_grpc_request(json.view()));
  EXPECT_FALSE(is_grpc_request(testing::get("/").view()));
  EXPECT_TRUE(is_grpc_content_type("application/grpc"));
  EXPECT_TRUE(is_grpc_content_type("application/grpc+proto"));
  EXPECT_TRUE(is_grpc_content_type("Application/GRPC-web"));
  EXPECT_FALSE(is_grpc_content_type("application/json"));
  EXPECT_FALSE(is_grpc_content_type("text/plain; application/grpc"));
  EXPECT_FALSE(is_grpc_content_type(""));
}

TEST(RouteUriParts, PathAndQuery) {
  EXPECT_EQ(path_without_query("/a/b?x=1#f"), "/a/b");
  EXPECT_EQ(path_without_query("/a#f?x"), "/a");
  EXPECT_EQ(first_query_value("/?a=1&b=2&a=3", "a"), "1");
  EXPECT_EQ(first_query_value("/?a=1&b=2", "b"), "2");
  EXPECT_EQ(first_query_value("/?a=x=y", "a"), "x=y");
  EXPECT_EQ(first_query_value("/?ab=1", "a"), std::nullopt);
  EXPECT_EQ(first_query_value("/?a=1#b=2", "b"), std::nullopt);
  EXPECT_EQ(first_query_value("/a=1", "a"), std::nullopt);
}

}  // namespace
}  // namespace zmesh::route
