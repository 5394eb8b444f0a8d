// HTTPFaultInjection decisions, as Envoy's fault filter makes them from Istio's translation
// (TranslateFault). Each request draws once for the delay and, after it, once for the abort.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "route/fractional_percent.h"
#include "state/http_route.h"

namespace zmesh::route {

// delay: `percentage`, else the deprecated `percent`; neither means 0 (nothing is delayed).
FractionalPercent delay_fraction(const state::HttpFaultInjection::Delay& delay);
// abort: `percentage`; absent means 0 (nothing is aborted).
FractionalPercent abort_fraction(const state::HttpFaultInjection::Abort& abort);

// The delay for this request, or nullopt. A delay without fixedDelay delays nothing.
std::optional<std::chrono::milliseconds> fault_delay(const state::HttpFaultInjection& fault,
                                                     uint64_t random);

struct FaultAbort {
  uint32_t http_status = 0;             // 200 for a gRPC status abort, as Envoy answers it
  std::optional<uint32_t> grpc_status;  // set for grpcStatus aborts
};

// The abort for this request, or nullopt. Answer it with local_reply(http_status,
// "fault filter abort", grpc, grpc_status) and flag FI.
std::optional<FaultAbort> fault_abort(const state::HttpFaultInjection& fault, uint64_t random);

}  // namespace zmesh::route
