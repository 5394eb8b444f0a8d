#include "telemetry/otlp_proto.h"

#include <map>
#include <string_view>

namespace zmesh::telemetry {
namespace {

// Protobuf wire format: a field key is (number << 3 | wire type).
enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void key(std::string& out, uint32_t field, Wire wire) {
  varint(out, field << 3 | wire);
}

void bytes_field(std::string& out, uint32_t field, std::string_view bytes) {
  key(out, field, kLength);
  varint(out, bytes.size());
  out.append(bytes);
}

void fixed64_field(std::string& out, uint32_t field, uint64_t v) {
  key(out, field, kFixed64);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void fixed32_field(std::string& out, uint32_t field, uint32_t v) {
  key(out, field, kFixed32);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void varint_field(std::string& out, uint32_t field, uint64_t v) {
  key(out, field, kVarint);
  varint(out, v);
}

// KeyValue { string key = 1; AnyValue value = 2 }, AnyValue { string string_value = 1;
// bool bool_value = 2 }.
std::string string_attribute(std::string_view k, std::string_view v) {
  std::string any, kv;
  bytes_field(any, 1, v);
  bytes_field(kv, 1, k);
  bytes_field(kv, 2, any);
  return kv;
}

std::string bool_attribute(std::string_view k, bool v) {
  std::string any, kv;
  varint_field(any, 2, v ? 1 : 0);
  bytes_field(kv, 1, k);
  bytes_field(kv, 2, any);
  return kv;
}

std::string span_id_bytes(SpanId id) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, id >>= 8) out[i] = static_cast<char>(id & 0xff);
  return out;
}

// Span (opentelemetry/proto/trace/v1/trace.proto).
std::string encode_span(const Span& s) {
  std::string out;
  const auto& c = s.context;
  bytes_field(out, 1, {reinterpret_cast<const char*>(c.trace_id.data()), c.trace_id.size()});
  bytes_field(out, 2, span_id_bytes(c.span_id));
  if (!c.tracestate.empty()) bytes_field(out, 3, c.tracestate);
  if (c.parent_span_id != 0) bytes_field(out, 4, span_id_bytes(c.parent_span_id));
  bytes_field(out, 5, s.name);
  varint_field(out, 6, s.kind == SpanKind::kServer ? 2 : 3);  // SPAN_KIND_SERVER / _CLIENT
  fixed64_field(out, 7, static_cast<uint64_t>(s.start_unix_ns));
  fixed64_field(out, 8, static_cast<uint64_t>(s.end_unix_ns));
  for (const auto& [k, v] : s.attributes) bytes_field(out, 9, string_attribute(k, v));
  if (s.error) bytes_field(out, 9, bool_attribute("error", true));
  std::string status;  // Status { string message = 2; StatusCode code = 3 }: ERROR = 2, else UNSET
  if (s.error) varint_field(status, 3, 2);
  bytes_field(out, 15, status);
  fixed32_field(out, 16, c.sampled ? 1 : 0);  // flags: W3C trace flags in the low byte
  return out;
}

}  // namespace

std::string encode_otlp_traces(const std::vector<Span>& spans, const std::string& scope_name) {
  // One ResourceSpans per service, in the order services first appear.
  std::vector<std::string_view> order;
  std::map<std::string_view, std::string> by_service;  // encoded spans
  for (const auto& s : spans) {
    auto [it, added] = by_service.try_emplace(s.service_name);
    if (added) order.push_back(s.service_name);
    bytes_field(it->second, 2, encode_span(s));
  }
  std::string out;
  for (auto service : order) {
    std::string resource, scope, scope_spans, resource_spans;
    bytes_field(resource, 1, string_attribute("service.name", service));
    bytes_field(scope, 1, scope_name);
    bytes_field(scope_spans, 1, scope);
    scope_spans += by_service[service];
    bytes_field(resource_spans, 1, resource);
    bytes_field(resource_spans, 2, scope_spans);
    bytes_field(out, 1, resource_spans);
  }
  return out;
}

}  // namespace zmesh::telemetry
