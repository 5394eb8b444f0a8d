// The daemon's one L7Config per snapshot. The daemon prepares it for each new snapshot before
// publishing the snapshot, so workers (and the kernel connection-limit sync) share one
// immutable config instead of each building its own.
#pragma once

#include <memory>
#include <mutex>

#include "routing/l7_config.h"
#include "state/snapshot.h"

namespace zmesh::routing {

class L7ConfigCache {
 public:
  // Builds `snapshot`'s config and keeps it as the latest.
  std::shared_ptr<const L7Config> prepare(std::shared_ptr<const state::Snapshot> snapshot);
  // The latest config when it is `snapshot`'s, else one built for the caller (an older or
  // unprepared snapshot), which is not kept.
  std::shared_ptr<const L7Config> get(const std::shared_ptr<const state::Snapshot>& snapshot);

 private:
  std::mutex mu_;
  std::shared_ptr<const L7Config> latest_;
};

}  // namespace zmesh::routing
