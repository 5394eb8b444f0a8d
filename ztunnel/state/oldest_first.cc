#include "state/oldest_first.h"

#include <tuple>

namespace zmesh::state {

// std::optional orders nullopt before any value: no timestamp is the oldest.
bool older(const ObjectMeta& a, const ObjectMeta& b) {
  return std::tie(a.creation_timestamp, a.namespace_, a.name) <
         std::tie(b.creation_timestamp, b.namespace_, b.name);
}

}  // namespace zmesh::state
