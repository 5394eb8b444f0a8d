#include "route/fault.h"

#include "route/grpc_status.h"

namespace zmesh::route {

FractionalPercent delay_fraction(const state::HttpFaultInjection::Delay& delay) {
  if (delay.percentage) return from_percentage(*delay.percentage);
  return from_integer_percent(delay.percent.value_or(0));
}

FractionalPercent abort_fraction(const state::HttpFaultInjection::Abort& abort) {
  if (abort.percentage) return from_percentage(*abort.percentage);
  return {0, 1'000'000};
}

std::optional<std::chrono::milliseconds> fault_delay(const state::HttpFaultInjection& fault,
                                                     uint64_t random) {
  if (!fault.delay || !fault.delay->fixed_delay) return std::nullopt;
  if (fault.delay->fixed_delay->count() <= 0) return std::nullopt;  // Envoy skips 0 ms
  if (!sampled(delay_fraction(*fault.delay), random)) return std::nullopt;
  return *fault.delay->fixed_delay;
}

std::optional<FaultAbort> fault_abort(const state::HttpFaultInjection& fault, uint64_t random) {
  if (!fault.abort) return std::nullopt;
  using Kind = state::HttpFaultInjection::Abort::Kind;
  const auto& a = *fault.abort;
  FaultAbort out;
  if (a.kind == Kind::kHttpStatus) {
    out.http_status = static_cast<uint32_t>(a.http_status);
  } else if (a.kind == Kind::kGrpcStatus) {
    auto code = grpc_status_code(a.grpc_status);
    if (!code) return std::nullopt;  // validation rejects unknown names
    out.http_status = 200;
    out.grpc_status = *code;
  } else {
    return std::nullopt;
  }
  if (!sampled(abort_fraction(a), random)) return std::nullopt;
  return out;
}

}  // namespace zmesh::route
