// HTTPRedirect as Envoy answers Istio's translation: Location from the request with the
// configured parts replaced, query kept, default ports left out, 301 by default.
#include <gtest/gtest.h>

#include <vector>

#include "route/redirect.h"
#include "route_test_request.h"

namespace zmesh::route {
namespace {

using testing::exact;
using testing::get;
using testing::prefix;
using testing::TestRequest;

struct Row {
  const char* what;
  state::HttpRedirect redirect;
  TestRequest request;
  uint32_t status;
  std::string location;
};

state::HttpRedirect uri(std::string u) {
  state::HttpRedirect r;
  r.uri = std::move(u);
  return r;
}

state::HttpRedirect edit(state::HttpRedirect r, void (*f)(state::HttpRedirect&)) {
  f(r);
  return r;
}

TestRequest at(std::string authority, std::string path, std::string scheme = "http") {
  TestRequest r = get(std::move(path));
  r.authority = std::move(authority);
  r.scheme = std::move(scheme);
  return r;
}

TEST(RouteRedirect, LocationAndStatus) {
  using K = state::RedirectPortKind;
  std::vector<Row> rows = {
      {"uri replaces the path", uri("/v1/bookRatings"), at("ratings:9080", "/v1/getProductRatings"),
       301, "http://ratings:9080/v1/bookRatings"},
      {"query kept", uri("/new"), at("a", "/old?x=1&y=2"), 301, "http://a/new?x=1&y=2"},
      {"uri with its own query wins", uri("/new?b=2"), at("a", "/old?x=1"), 301,
       "http://a/new?b=2"},
      {"path gets a leading slash", uri("new"), at("a", "/old"), 301, "http://a/new"},
      {"authority", edit({}, [](auto& r) { r.authority = "newratings.default.svc"; }),
       at("ratings:9080", "/p?q"), 301, "http://newratings.default.svc/p?q"},
      {"scheme change drops the old default port", edit({}, [](auto& r) { r.scheme = "https"; }),
       at("a:80", "/p"), 301, "https://a/p"},
      {"scheme change keeps another port", edit({}, [](auto& r) { r.scheme = "https"; }),
       at("a:8080", "/p"), 301, "https://a:8080/p"},
      {"explicit port replaces the request's",
       edit({},
            [](auto& r) {
              r.port_kind = K::kPort;
              r.port = 8443;
              r.scheme = "https";
            }),
       at("a:9080", "/p"), 301, "https://a:8443/p"},
      {"443 for https is implied",
       edit({},
            [](auto& r) {
              r.port_kind = K::kPort;
              r.port = 443;
              r.scheme = "https";
            }),
       at("a", "/p"), 301, "https://a/p"},
      {"80 for http is implied, so the request's port stays (as in Envoy)",
       edit({},
            [](auto& r) {
              r.port_kind = K::kPort;
              r.port = 80;
            }),
       at("a:9080", "/p"), 301, "http://a:9080/p"},
      {"FROM_REQUEST_PORT writes the service port",
       edit({}, [](auto& r) { r.port_kind = K::kFromRequestPort; }), at("a", "/p"), 301,
       "http://a:9080/p"},
      {"FROM_PROTOCOL_DEFAULT writes none",
       edit({},
            [](auto& r) {
              r.port_kind = K::kFromProtocolDefault;
              r.scheme = "https";
            }),
       at("a:80", "/p"), 301, "https://a/p"},
      {"IPv6 host loses its port for a new one",
       edit({},
            [](auto& r) {
              r.port_kind = K::kPort;
              r.port = 8080;
            }),
       at("[::1]:9080", "/p"), 301, "http://[::1]:8080/p"},
      {"authority and port together",
       edit({},
            [](auto& r) {
              r.authority = "b";
              r.port_kind = K::kPort;
              r.port = 81;
            }),
       at("a:9080", "/p"), 301, "http://b:81/p"},
      {"302", edit(uri("/x"), [](auto& r) { r.redirect_code = 302; }), at("a", "/"), 302,
       "http://a/x"},
      {"303", edit(uri("/x"), [](auto& r) { r.redirect_code = 303; }), at("a", "/"), 303,
       "http://a/x"},
      {"307", edit(uri("/x"), [](auto& r) { r.redirect_code = 307; }), at("a", "/"), 307,
       "http://a/x"},
      {"308", edit(uri("/x"), [](auto& r) { r.redirect_code = 308; }), at("a", "/"), 308,
       "http://a/x"},
  };
  CompiledMatch any = CompiledMatch::compile(nullptr, nullptr);
  for (const Row& row : rows) {
    auto r = redirect_response(row.redirect, row.request.view(), any);
    ASSERT_TRUE(r) << row.what;
    EXPECT_EQ(r->status, row.status) << row.what;
    EXPECT_EQ(r->location, row.location) << row.what;
  }
}

TEST(RouteRedirect, CodesEnvoyLacksGiveNoRedirect) {
  for (uint32_t code : {300u, 304u, 305u, 399u}) {
    state::HttpRedirect bad = uri("/x");
    bad.redirect_code = code;
    EXPECT_FALSE(redirect_response(bad, get("/").view(), CompiledMatch::compile(nullptr, nullptr)))
        << code;
  }
}

TEST(RouteRedirect, PrefixRewriteReplacesWhatTheRouteMatched) {
  state::HttpRedirect r;
  r.prefix_rewrite = "/new";
  state::HttpMatchRequest p;
  p.uri = prefix("/old");
  state::HttpMatchRequest e;
  e.uri = exact("/old/page");
  auto req = at("a", "/old/page?x=1");
  EXPECT_EQ(redirect_response(r, req.view(), CompiledMatch::compile(&p, nullptr))->location,
            "http://a/new/page?x=1");
  EXPECT_EQ(redirect_response(r, req.view(), CompiledMatch::compile(&e, nullptr))->location,
            "http://a/new?x=1");
}

}  // namespace
}  // namespace zmesh::route
