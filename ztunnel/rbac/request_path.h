// The request path as AuthorizationPolicy sees it (Istio's default pathNormalization BASE, i.e.
// Envoy's normalize_path): the query and fragment cut off, percent-encoded unreserved
// characters decoded (ALPHA, DIGIT, "-", ".", "_", "~"), other escapes kept with upper-case
// hex ("%2f" -> "%2F": an escaped slash stays a character, not a separator), then RFC 3986
// dot-segment removal ("/a/./b/../c" -> "/a/c", also when the dots came escaped). Slashes are
// not merged (that is MERGE_SLASHES). And Istio's path templates: "{*}" one segment, "{**}"
// any number of segments (last operator only).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace zmesh::rbac {

// Errors: not an origin-form path (must start with '/'), or a malformed escape ("%zz", "%4"),
// which Envoy answers with 400.
Result<std::string> normalize_path(std::string_view raw);

// Whether `pattern` uses "{*}" or "{**}".
bool is_path_template(std::string_view pattern);
// A template against a normalised path: literal segments equal, "{*}" one non-empty segment,
// "{**}" the rest (zero or more segments). Segments may mix text and operators, as in
// "/v1/{*}.json".
bool path_template_matches(std::string_view pattern, std::string_view path);

// One `paths`/`notPaths` entry: a template, else Istio's string syntax (exact, "prefix*",
// "*suffix", "*").
bool path_matches(std::string_view pattern, std::string_view path);

}  // namespace zmesh::rbac
