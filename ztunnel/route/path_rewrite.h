// HTTPRewrite's path part, as Envoy applies Istio's translation: `uri` replaces the part of the
// path the route matched (prefix_rewrite), `uriRegexRewrite` substitutes every regex match in
// the path (query kept, `\1` groups). The regex is compiled once per route.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "route/compiled_match.h"
#include "state/http_route.h"

namespace re2 {
class RE2;
}

namespace zmesh::route {

class PathRewrite {
 public:
  PathRewrite() = default;  // rewrites nothing
  // A regex RE2 refuses is reported in `errors` and rewrites nothing.
  static PathRewrite compile(const state::HttpRewrite& rewrite, std::vector<std::string>* errors);

  // The new :path, or nullopt to leave it alone. `matched` is the match that selected the
  // route (its prefix is what `uri` replaces).
  std::optional<std::string> apply(std::string_view path, const CompiledMatch& matched) const;

 private:
  std::string prefix_;  // rewrite.uri
  std::shared_ptr<const re2::RE2> regex_;
  std::string substitution_;
};

// Replaces the first `matched_length` characters of `path` with `replacement` (query kept).
std::string replace_matched_prefix(std::string_view path, size_t matched_length,
                                   std::string_view replacement);

}  // namespace zmesh::route
