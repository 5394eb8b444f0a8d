#include "route/path_rewrite.h"

#include <re2/re2.h>

#include "route/uri_parts.h"

namespace zmesh::route {

PathRewrite PathRewrite::compile(const state::HttpRewrite& rewrite,
                                 std::vector<std::string>* errors) {
  PathRewrite out;
  // Istio translates uriRegexRewrite in preference to uri (validation allows only one).
  if (rewrite.uri_regex_rewrite) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(rewrite.uri_regex_rewrite->match, options);
    if (!re->ok()) {
      if (errors != nullptr) {
        errors->push_back("uriRegexRewrite \"" + rewrite.uri_regex_rewrite->match +
                          "\": " + re->error());
      }
      return out;
    }
    out.regex_ = std::move(re);
    out.substitution_ = rewrite.uri_regex_rewrite->rewrite;
    return out;
  }
  out.prefix_ = rewrite.uri;
  return out;
}

std::optional<std::string> PathRewrite::apply(std::string_view path,
                                              const CompiledMatch& matched) const {
  if (regex_) {
    std::string_view just_path = path_without_query(path);
    std::string replaced(just_path);
    RE2::GlobalReplace(&replaced, *regex_, substitution_);
    replaced.append(path.substr(just_path.size()));
    return replaced;
  }
  if (prefix_.empty()) return std::nullopt;
  return replace_matched_prefix(path, matched.matched_length(path), prefix_);
}

std::string replace_matched_prefix(std::string_view path, size_t matched_length,
                                   std::string_view replacement) {
  std::string out(replacement);
  if (matched_length < path.size()) out.append(path.substr(matched_length));
  return out;
}

}  // namespace zmesh::route
