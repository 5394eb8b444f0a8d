// One HTTPMatchRequest compiled for the data path: every field ANDed, regexes compiled once,
// evaluated per request with no allocation beyond joining a repeated header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "route/request_view.h"
#include "route/string_matcher.h"
#include "state/http_route.h"

namespace zmesh::route {

class CompiledMatch {
 public:
  // nullptr compiles a route without match[]: Envoy's prefix "/" and nothing else. A regex RE2
  // refuses is reported in `errors` and makes the match never match, so a broken entry can
  // only narrow a route, never widen it.
  static CompiledMatch compile(const state::HttpMatchRequest* match,
                               std::vector<std::string>* errors);

  bool matches(const RequestView& request) const;

  // The part of `path` a prefix rewrite replaces (Envoy's "matched path"): the configured
  // prefix for a prefix match, else the whole path without its query.
  size_t matched_length(std::string_view path) const;

 private:
  struct HeaderMatcher {
    std::string name;
    std::optional<StringMatcher> value;  // nullopt: presence (`{}` or `regex: "*"`)
    bool invert = false;                 // withoutHeaders
  };
  struct QueryMatcher {
    std::string name;
    std::optional<StringMatcher> value;  // nullopt: presence
  };

  bool header_matches(const HeaderMatcher& m, const RequestView& r, std::string& scratch) const;
  bool source_matches(const RequestView& r) const;

  std::optional<StringMatcher> path_;  // nullopt only when compilation failed
  std::vector<HeaderMatcher> headers_;
  std::vector<QueryMatcher> query_;
  std::optional<uint32_t> port_;
  bool check_source_ = true;  // false when match.gateways names "mesh" (Istio then skips it)
  state::Labels source_labels_;
  std::string source_namespace_;
  bool never_ = false;
};

}  // namespace zmesh::route
