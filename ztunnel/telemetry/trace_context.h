// Trace context propagation, pure: reads a request's W3C (`traceparent`/`tracestate`), B3
// (multi-header `x-b3-*` and single `b3`) and `x-request-id` headers, decides sampling as
// Istio's proxies do (parent-based, else a random percentage), and gives the headers to send on
// with this proxy's span as the parent. No I/O and no clock: randomness comes in as numbers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmesh::telemetry {

using TraceId = std::array<uint8_t, 16>;  // never all zero when valid
using SpanId = uint64_t;                  // never 0 when valid

// The headers propagation reads, as received ("" when absent).
struct TraceHeaders {
  std::string_view traceparent{}, tracestate{};
  std::string_view b3{};  // single-header B3
  std::string_view x_b3_traceid{}, x_b3_spanid{}, x_b3_parentspanid{}, x_b3_sampled{}, x_b3_flags{};
  std::string_view x_request_id{};
};

// The incoming context: whose child this proxy's span is.
struct ParentContext {
  TraceId trace_id{};
  SpanId span_id = 0;           // the caller's span
  std::optional<bool> sampled;  // the caller's decision, nullopt when it made none
  std::string tracestate;       // W3C vendor state, passed on untouched
  enum class Format { kW3c, kB3Multi, kB3Single } format = Format::kW3c;
};

// The parent from the headers: `traceparent` first (W3C, version 00 or a later one read as
// 00), then single `b3`, then `x-b3-*`; a malformed header of a kind is ignored as if absent
// (Envoy starts a new trace then). A B3 header carrying only a sampling decision (`b3: 0`,
// `x-b3-sampled: 1` without ids) gives no parent, but its decision: see decision_only().
std::optional<ParentContext> extract_parent(const TraceHeaders& h);
// A sampling decision sent without trace ids (`b3: 0|1|d`, lone `x-b3-sampled`/`x-b3-flags`).
std::optional<bool> decision_only(const TraceHeaders& h);

// Sampling as Istio's proxies decide: an incoming decision is kept (parent-based); otherwise
// `percent` (0-100) of requests are sampled, `random` uniform in [0, 2^64).
bool decide_sampled(std::optional<bool> incoming, double percent, uint64_t random);

// This proxy's span within the trace.
struct SpanContext {
  TraceId trace_id{};
  SpanId span_id = 0;
  SpanId parent_span_id = 0;  // 0: a root span
  bool sampled = false;
  std::string tracestate;
};

// The span this proxy starts for a request: a child of `parent` when there is one, else the
// root of a new trace (`new_trace_id` and `new_span_id` from the caller's random source; an
// all-zero or zero value is replaced by 1s so that ids stay valid).
SpanContext start_span(const std::optional<ParentContext>& parent, bool sampled,
                       const TraceId& new_trace_id, SpanId new_span_id);

// The headers to set on the request sent on (each replaces any of that name): `traceparent`
// (and `tracestate` when there is one) and B3 multi-header (`x-b3-traceid`, `x-b3-spanid`,
// `x-b3-parentspanid` when not a root, `x-b3-sampled`); plus `b3` when the request came with
// single-header B3, so every format the app may forward names this proxy's span.
// The caller first drops every incoming kTraceHeaderNames header (`x-b3-flags` included).
std::vector<std::pair<std::string, std::string>> propagation_headers(const SpanContext& span,
                                                                     bool had_b3_single);
inline constexpr std::array<std::string_view, 8> kTraceHeaderNames = {
    "traceparent", "tracestate",        "b3",           "x-b3-traceid",
    "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"};

// `x-request-id`: kept when the request has one, else a new UUIDv4 from 128 random bits (as
// Envoy generates it: version 4, variant 10xx, lowercase).
std::string request_id(std::string_view incoming, uint64_t random_hi, uint64_t random_lo);

// Hex spellings: 32 and 16 lowercase digits.
std::string to_hex(const TraceId& id);
std::string to_hex(SpanId id);
// Parses 32 hex digits, or 16 (a 64-bit B3 trace id, zero-extended on the left as Zipkin does).
std::optional<TraceId> parse_trace_id(std::string_view hex);
std::optional<SpanId> parse_span_id(std::string_view hex);

}  // namespace zmesh::telemetry
