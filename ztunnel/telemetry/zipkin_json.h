// Zipkin v2 JSON export body (POST /api/v2/spans): an array of spans with traceId, id,
// parentId, name, kind, timestamp and duration in microseconds, localEndpoint (serviceName,
// ipv4/ipv6), tags ("error": "true" on failure) as Envoy's Zipkin tracer writes them.
#pragma once

#include <string>
#include <vector>

#include "telemetry/span.h"

namespace zmesh::telemetry {

std::string encode_zipkin_json(const std::vector<Span>& spans);

}  // namespace zmesh::telemetry
