#include "routing/config_cache.h"

namespace zmesh::routing {

std::shared_ptr<const L7Config> L7ConfigCache::prepare(
    std::shared_ptr<const state::Snapshot> snapshot) {
  auto built = L7Config::build(std::move(snapshot));
  std::lock_guard lock(mu_);
  latest_ = built;
  return built;
}

std::shared_ptr<const L7Config> L7ConfigCache::get(
    const std::shared_ptr<const state::Snapshot>& snapshot) {
  {
    std::lock_guard lock(mu_);
    if (latest_ && latest_->snapshot() == snapshot) return latest_;
  }
  return L7Config::build(snapshot);
}

}  // namespace zmesh::routing
