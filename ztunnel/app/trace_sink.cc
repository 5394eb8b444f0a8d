#include "app/trace_sink.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>

namespace zmesh::app {
namespace {

struct Address {
  std::string ip;
  uint16_t port = 0;
};

// The provider's service and port to an address to dial.
Result<Address> resolve(const state::Snapshot& snapshot, const std::string& provider,
                        const std::string& service, uint32_t port) {
  std::string host = service;
  if (auto slash = host.find('/'); slash != std::string::npos) host = host.substr(slash + 1);
  if (port == 0 || port > 65535)
    return make_error("tracing provider " + provider + ": port " + std::to_string(port) +
                      " is not a port");
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(host, ec);
  if (!ec) return Address{ip.to_string(), static_cast<uint16_t>(port)};
  auto svc = snapshot.service_by_host(host);
  if (!svc)
    return make_error("tracing provider " + provider + ": service " + host +
                      " is not in the registry");
  for (size_t i = 0; i < svc->ports.size(); ++i) {
    if (svc->ports[i].port != port) continue;
    const auto& backends = svc->ready_backends[i];
    if (backends.empty())
      return make_error("tracing provider " + provider + ": service " + host + " port " +
                        std::to_string(port) + " has no ready endpoint");
    const auto& b = backends.front();
    auto addr = b.workload && !b.workload->ips.empty() ? b.workload->ips.front() : b.address;
    return Address{addr.to_string(), b.port};
  }
  return make_error("tracing provider " + provider + ": service " + host + " has no port " +
                    std::to_string(port));
}

}  // namespace

Result<std::optional<telemetry::TraceSink>> resolve_trace_sink(const state::Snapshot& snapshot) {
  const auto& settings = snapshot.tracing();
  if (!settings.report) return std::optional<telemetry::TraceSink>();
  const auto* p = snapshot.mesh_config().find_provider(settings.provider);
  telemetry::TraceSink sink;
  sink.provider = settings.provider;
  std::string service;
  uint32_t port = 0;
  if (const auto* otel = p->opentelemetry()) {
    if (!otel->http)
      return make_error("tracing provider " + settings.provider +
                        ": OTLP over gRPC is not supported yet; set opentelemetry.http");
    service = otel->service;
    port = otel->port;
    sink.protocol = telemetry::TraceSink::Protocol::kOtlpHttp;
    sink.path = otel->http->path.empty() ? "/v1/traces" : otel->http->path;
    if (sink.path.front() != '/') sink.path = "/" + sink.path;
    sink.timeout = otel->http->timeout;
    for (const auto& h : otel->http->headers) sink.headers.emplace_back(h.name, h.value);
  } else {
    const auto* zipkin = p->zipkin();
    service = zipkin->service;
    port = zipkin->port;
    sink.protocol = telemetry::TraceSink::Protocol::kZipkin;
    sink.path = "/api/v2/spans";
  }
  auto address = resolve(snapshot, settings.provider, service, port);
  if (!address) return address.error();
  sink.address = address->ip;
  sink.port = address->port;
  auto host = service.substr(service.find('/') == std::string::npos ? 0 : service.find('/') + 1);
  sink.authority = host + ":" + std::to_string(port);
  return std::optional<telemetry::TraceSink>(std::move(sink));
}

void TraceSinkSync::on_snapshot(const state::Snapshot& snapshot) {
  auto sink = resolve_trace_sink(snapshot);
  if (!sink) {
    if (sink.error().message != last_error_)
      spdlog::warn("tracing: {}; spans are dropped", sink.error().message);
    last_error_ = sink.error().message;
    exporter_.set_sink(std::nullopt);
    return;
  }
  last_error_.clear();
  exporter_.set_sink(std::move(*sink));
}

}  // namespace zmesh::app
