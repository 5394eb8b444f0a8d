#include "config/object.h"

namespace zmesh::config {

std::string ObjectKey::display() const {
  if (namespace_.empty()) return kind + " " + name;
  return kind + " " + namespace_ + "/" + name;
}

const state::ObjectMeta& meta_of(const Object& object) {
  return std::visit([](const auto& o) -> const state::ObjectMeta& { return o.meta; }, object);
}

}  // namespace zmesh::config
