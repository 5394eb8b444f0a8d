#include "state/object.h"

namespace zmesh::state {

const ObjectMeta& meta_of(const Object& object) {
  return std::visit([](const auto& o) -> const ObjectMeta& { return o.meta; }, object);
}

}  // namespace zmesh::state
