// Owning request data for route_* tests: RequestView only borrows, so tests keep the strings
// here and take a view per case.
#pragma once

#include <ostream>
#include <string>

#include "route/header_list.h"
#include "route/request_view.h"
#include "state/http_route.h"

namespace zmesh::route {

// Readable failure messages for header list comparisons (found by GoogleTest through ADL).
inline void PrintTo(const HeaderList& h, std::ostream* os) {
  *os << "{";
  for (const auto& f : h.fields()) *os << " " << f.name << ": " << f.value << ";";
  *os << " }";
}

}  // namespace zmesh::route

namespace zmesh::route::testing {

struct TestRequest {
  std::string method = "GET";
  std::string scheme = "http";
  std::string authority = "reviews:9080";
  std::string path = "/";
  HeaderList headers;
  uint32_t port = 9080;
  state::Labels labels;
  std::string ns = "default";

  RequestView view() const {
    RequestView v;
    v.method = method;
    v.scheme = scheme;
    v.authority = authority;
    v.path = path;
    v.headers = &headers;
    v.destination_port = port;
    v.source_labels = &labels;
    v.source_namespace = ns;
    return v;
  }
};

inline TestRequest get(std::string path, HeaderList headers = {}) {
  TestRequest r;
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

inline state::StringMatch exact(std::string v) {
  return {state::StringMatch::Kind::kExact, v};
}
inline state::StringMatch prefix(std::string v) {
  return {state::StringMatch::Kind::kPrefix, v};
}
inline state::StringMatch regex(std::string v) {
  return {state::StringMatch::Kind::kRegex, v};
}

}  // namespace zmesh::route::testing
