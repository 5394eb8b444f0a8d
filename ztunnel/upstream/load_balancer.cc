#include "upstream/load_balancer.h"

namespace zmesh::upstream {

Pick LoadBalancer::pick(std::span<const Endpoint> endpoints, std::optional<uint64_t> hash) {
  if (eligible_.update(endpoints)) rebuild(endpoints, eligible_.indices());
  const auto& eligible = eligible_.indices();
  if (eligible.empty()) return {};
  return Pick::endpoint(choose(endpoints, eligible, hash));
}

}  // namespace zmesh::upstream
