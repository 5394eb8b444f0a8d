#include "state/model.h"

namespace zmesh::state {

bool Namespace::ambient() const {
  auto it = meta.labels.find(kDataplaneModeLabel);
  return it != meta.labels.end() && it->second == kDataplaneModeAmbient;
}

bool Pod::terminated() const {
  return phase == "Succeeded" || phase == "Failed";
}

std::string Service::hostname(const std::string& domain) const {
  return meta.name + "." + meta.namespace_ + ".svc." + domain;
}

const char* to_string(MtlsMode mode) {
  switch (mode) {
    case MtlsMode::kUnset:
      return "UNSET";
    case MtlsMode::kDisable:
      return "DISABLE";
    case MtlsMode::kPermissive:
      return "PERMISSIVE";
    case MtlsMode::kStrict:
      return "STRICT";
  }
  return "UNSET";
}

std::optional<MtlsMode> parse_mtls_mode(const std::string& text) {
  for (MtlsMode m :
       {MtlsMode::kUnset, MtlsMode::kDisable, MtlsMode::kPermissive, MtlsMode::kStrict}) {
    if (text == to_string(m)) return m;
  }
  return std::nullopt;
}

}  // namespace zmesh::state
