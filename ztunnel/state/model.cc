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

}  // namespace zmesh::state
