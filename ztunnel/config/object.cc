#include "config/object.h"

namespace zmesh::config {

std::string ObjectKey::display() const {
  if (namespace_.empty()) return kind + " " + name;
  return kind + " " + namespace_ + "/" + name;
}

size_t ObjectKeyHash::operator()(const ObjectKey& key) const {
  std::hash<std::string> h;
  size_t seed = h(key.kind);
  for (const auto* part : {&key.namespace_, &key.name}) {
    seed ^= h(*part) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  }
  return seed;
}

}  // namespace zmesh::config
