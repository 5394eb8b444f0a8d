#include "upstream/lb_config.h"

namespace zmesh::upstream {

LbConfig lb_config(const std::optional<state::LoadBalancerSettings>& settings) {
  using Simple = state::LoadBalancerSettings::Simple;
  using Algorithm = state::ConsistentHashLb::Algorithm;
  LbConfig out;
  if (!settings) return out;
  if (const auto& ch = settings->consistent_hash) {
    out.hash = *ch;
    if (ch->algorithm == Algorithm::kMaglev) {
      out.policy = LbConfig::Policy::kMaglev;
      if (ch->maglev_table_size != 0) out.maglev_table_size = ch->maglev_table_size;
    } else {
      // ringHash, or no algorithm: the deprecated top-level minimumRingSize (0: 1024).
      out.policy = LbConfig::Policy::kRingHash;
      uint64_t size = ch->algorithm == Algorithm::kRingHash ? ch->ring_hash_minimum_ring_size
                                                            : ch->minimum_ring_size;
      if (size != 0) out.minimum_ring_size = size;
    }
    return out;
  }
  switch (settings->simple.value_or(Simple::kUnspecified)) {
    case Simple::kRandom:
      out.policy = LbConfig::Policy::kRandom;
      break;
    case Simple::kRoundRobin:
      out.policy = LbConfig::Policy::kRoundRobin;
      break;
    case Simple::kPassthrough:
      out.policy = LbConfig::Policy::kPassthrough;
      break;
    case Simple::kUnspecified:
    case Simple::kLeastConn:
    case Simple::kLeastRequest:
      out.policy = LbConfig::Policy::kLeastRequest;
      break;
  }
  return out;
}

}  // namespace zmesh::upstream
