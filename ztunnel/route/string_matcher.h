// Istio's StringMatch compiled once for the data path: exact, prefix or an RE2 regex that must
// match the whole value (Envoy's safe_regex), the regex compiled a single time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/istio_common.h"

namespace re2 {
class RE2;
}

namespace zmesh::route {

class StringMatcher {
 public:
  // `ignore_case` applies to exact and prefix only, as Envoy's case_sensitive=false does: a
  // regex needs (?i). nullopt, with the reason in `error`, when the regex does not compile
  // (validation should have caught it).
  static std::optional<StringMatcher> compile(const state::StringMatch& match, bool ignore_case,
                                              std::string* error);

  bool matches(std::string_view value) const;
  state::StringMatch::Kind kind() const { return kind_; }
  const std::string& value() const { return value_; }

 private:
  StringMatcher() = default;
  state::StringMatch::Kind kind_ = state::StringMatch::Kind::kExact;
  std::string value_;
  bool ignore_case_ = false;
  std::shared_ptr<const re2::RE2> regex_;  // shared: compiled routes are copied, regexes not
};

}  // namespace zmesh::route
