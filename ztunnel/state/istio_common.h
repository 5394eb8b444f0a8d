// Messages shared by Istio's kinds (istio.io/api type and common protos), as written.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "state/model.h"

namespace zmesh::state {

// StringMatch (VirtualService) and its cousins: exactly one of exact, prefix, regex (RE2).
struct StringMatch {
  enum class Kind { kExact, kPrefix, kRegex };
  Kind kind = Kind::kExact;
  std::string value;
};

// istio.type.v1beta1.PolicyTargetReference (spec.targetRef / spec.targetRefs).
struct PolicyTargetReference {
  std::string group;
  std::string kind;
  std::string name;
  std::string namespace_;
};

// google.protobuf.Duration as Istio writes it ("1.5s", "100ms"), at millisecond precision.
using Duration = std::chrono::milliseconds;

}  // namespace zmesh::state
