#include "route/string_matcher.h"

#include <re2/re2.h>

#include "route/header_list.h"

namespace zmesh::route {

std::optional<StringMatcher> StringMatcher::compile(const state::StringMatch& match,
                                                    bool ignore_case, std::string* error) {
  StringMatcher m;
  m.kind_ = match.kind;
  m.value_ = match.value;
  m.ignore_case_ = ignore_case;
  if (match.kind == state::StringMatch::Kind::kRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(match.value, options);
    if (!re->ok()) {
      if (error != nullptr) *error = "regex \"" + match.value + "\": " + re->error();
      return std::nullopt;
    }
    m.regex_ = std::move(re);
  }
  return m;
}

bool StringMatcher::matches(std::string_view value) const {
  switch (kind_) {
    case state::StringMatch::Kind::kExact:
      return ignore_case_ ? iequals(value, value_) : value == value_;
    case state::StringMatch::Kind::kPrefix:
      return ignore_case_ ? istarts_with(value, value_) : value.starts_with(value_);
    case state::StringMatch::Kind::kRegex:
      return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regex_);
  }
  return false;
}

}  // namespace zmesh::route
