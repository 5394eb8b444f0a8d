// A fresh balancer for a policy; call once per worker thread per destination (each one has its
// own state and Rng). Give each worker a different seed.
#pragma once

#include <memory>

#include "upstream/lb_config.h"
#include "upstream/load_balancer.h"

namespace zmesh::upstream {

// For kPassthrough the balancer always answers Pick::Kind::kOriginalDestination.
std::unique_ptr<LoadBalancer> make_load_balancer(const LbConfig& config, uint64_t seed);

}  // namespace zmesh::upstream
