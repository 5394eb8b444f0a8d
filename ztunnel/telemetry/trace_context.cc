#include "telemetry/trace_context.h"

#include <algorithm>

namespace zmesh::telemetry {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool all_zero(const TraceId& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

// W3C requires lowercase hex; B3 readers accept either case.
bool lowercase_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<ParentContext> from_traceparent(std::string_view v, std::string_view tracestate) {
  // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" and more.
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  auto version = v.substr(0, 2), trace = v.substr(3, 32), span = v.substr(36, 16),
       flags = v.substr(53, 2);
  if (!lowercase_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) return std::nullopt;
  if (!lowercase_hex(trace) || !lowercase_hex(span) || !lowercase_hex(flags)) return std::nullopt;
  auto trace_id = parse_trace_id(trace);
  auto span_id = parse_span_id(span);
  if (!trace_id || !span_id) return std::nullopt;
  ParentContext p;
  p.trace_id = *trace_id;
  p.span_id = *span_id;
  p.sampled = (hex_value(flags[1]) & 1) != 0;
  p.tracestate = std::string(tracestate);
  p.format = ParentContext::Format::kW3c;
  return p;
}

// "0", "1", "d" (debug: sampled) as single-header B3 spells a decision.
std::optional<bool> b3_decision(std::string_view s) {
  if (s == "1" || s == "d") return true;
  if (s == "0") return false;
  return std::nullopt;
}

std::optional<ParentContext> from_b3_single(std::string_view v) {
  // {trace}-{span}[-{sampling}[-{parent}]]
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t dash = v.find('-', start);
    parts.push_back(v.substr(start, dash == std::string_view::npos ? v.npos : dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  auto trace_id = parse_trace_id(parts[0]);
  auto span_id = parse_span_id(parts[1]);
  if (!trace_id || !span_id) return std::nullopt;
  ParentContext p;
  p.trace_id = *trace_id;
  p.span_id = *span_id;
  p.format = ParentContext::Format::kB3Single;
  if (parts.size() >= 3) {
    p.sampled = b3_decision(parts[2]);
    if (!p.sampled) return std::nullopt;
  }
  if (parts.size() == 4 && !parse_span_id(parts[3])) return std::nullopt;
  return p;
}

std::optional<bool> x_b3_decision(const TraceHeaders& h) {
  if (h.x_b3_flags == "1") return true;  // debug
  if (h.x_b3_sampled == "1" || h.x_b3_sampled == "true") return true;
  if (h.x_b3_sampled == "0" || h.x_b3_sampled == "false") return false;
  return std::nullopt;
}

std::optional<ParentContext> from_b3_multi(const TraceHeaders& h) {
  auto trace_id = parse_trace_id(h.x_b3_traceid);
  auto span_id = parse_span_id(h.x_b3_spanid);
  if (!trace_id || !span_id) return std::nullopt;
  ParentContext p;
  p.trace_id = *trace_id;
  p.span_id = *span_id;
  p.sampled = x_b3_decision(h);
  p.format = ParentContext::Format::kB3Multi;
  return p;
}

}  // namespace

std::string to_hex(const TraceId& id) {
  std::string out;
  out.reserve(32);
  for (uint8_t b : id) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string to_hex(SpanId id) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) out[i] = kHex[id & 15];
  return out;
}

std::optional<TraceId> parse_trace_id(std::string_view hex) {
  if (hex.size() != 32 && hex.size() != 16) return std::nullopt;
  TraceId id{};
  size_t offset = 16 - hex.size() / 2;  // a 64-bit id fills the low half
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[offset + i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (all_zero(id)) return std::nullopt;
  return id;
}

std::optional<SpanId> parse_span_id(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  SpanId id = 0;
  for (char c : hex) {
    int v = hex_value(c);
    if (v < 0) return std::nullopt;
    id = id << 4 | static_cast<SpanId>(v);
  }
  if (id == 0) return std::nullopt;
  return id;
}

std::optional<ParentContext> extract_parent(const TraceHeaders& h) {
  if (!h.traceparent.empty())
    if (auto p = from_traceparent(h.traceparent, h.tracestate)) return p;
  if (!h.b3.empty())
    if (auto p = from_b3_single(h.b3)) return p;
  if (!h.x_b3_traceid.empty()) return from_b3_multi(h);
  return std::nullopt;
}

std::optional<bool> decision_only(const TraceHeaders& h) {
  if (auto d = b3_decision(h.b3)) return d;
  return x_b3_decision(h);
}

bool decide_sampled(std::optional<bool> incoming, double percent, uint64_t random) {
  if (incoming) return *incoming;
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  // random < percent% of 2^64, in integers: random / 2^64 * 10000 < percent * 100.
  auto threshold = static_cast<uint64_t>(percent * 100.0 + 0.5);
  return (static_cast<unsigned __int128>(random) * 10000 >> 64) < threshold;
}

SpanContext start_span(const std::optional<ParentContext>& parent, bool sampled,
                       const TraceId& new_trace_id, SpanId new_span_id) {
  SpanContext s;
  s.sampled = sampled;
  s.span_id = new_span_id != 0 ? new_span_id : 1;
  if (parent) {
    s.trace_id = parent->trace_id;
    s.parent_span_id = parent->span_id;
    s.tracestate = parent->tracestate;
  } else {
    s.trace_id = new_trace_id;
    if (all_zero(s.trace_id)) s.trace_id.back() = 1;
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> propagation_headers(const SpanContext& span,
                                                                     bool had_b3_single) {
  std::vector<std::pair<std::string, std::string>> out;
  auto trace = to_hex(span.trace_id), id = to_hex(span.span_id);
  const char* sampled = span.sampled ? "1" : "0";
  out.emplace_back("traceparent", "00-" + trace + "-" + id + (span.sampled ? "-01" : "-00"));
  if (!span.tracestate.empty()) out.emplace_back("tracestate", span.tracestate);
  out.emplace_back("x-b3-traceid", trace);
  out.emplace_back("x-b3-spanid", id);
  if (span.parent_span_id != 0) out.emplace_back("x-b3-parentspanid", to_hex(span.parent_span_id));
  out.emplace_back("x-b3-sampled", sampled);
  if (had_b3_single) {
    std::string b3 = trace + "-" + id + "-" + sampled;
    if (span.parent_span_id != 0) b3 += "-" + to_hex(span.parent_span_id);
    out.emplace_back("b3", std::move(b3));
  }
  return out;
}

std::string request_id(std::string_view incoming, uint64_t hi, uint64_t lo) {
  if (!incoming.empty()) return std::string(incoming);
  hi = (hi & ~0xf000ull) | 0x4000ull;        // version 4
  lo = (lo & ~(3ull << 62)) | (2ull << 62);  // variant 10xx
  std::string h = to_hex(hi), l = to_hex(lo);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + l.substr(0, 4) +
         "-" + l.substr(4);
}

}  // namespace zmesh::telemetry
