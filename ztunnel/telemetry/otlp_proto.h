// OTLP trace export body in protobuf binary form: an ExportTraceServiceRequest
// (opentelemetry/proto/collector/trace/v1) of finished spans, grouped into one ResourceSpans per
// service name (resource attribute `service.name`). The same bytes go over OTLP/HTTP
// (Content-Type application/x-protobuf) and, framed, over OTLP/gRPC. Encoded by hand: the
// handful of messages involved need only varints, fixed64 and length-delimited fields, which
// is less code than generating from the .proto files (see docs/dependencies.md).
#pragma once

#include <string>
#include <vector>

#include "telemetry/span.h"

namespace zmesh::telemetry {

// `scope_name` names the instrumentation scope ("zmesh").
std::string encode_otlp_traces(const std::vector<Span>& spans, const std::string& scope_name);

}  // namespace zmesh::telemetry
