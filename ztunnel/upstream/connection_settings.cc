#include "upstream/connection_settings.h"

namespace zmesh::upstream {
namespace {

using ms = ConnectionSettings::ms;

// An Istio timeout field: unset keeps the default, 0s disables.
std::optional<ms> timeout_or(const std::optional<state::Duration>& d, std::optional<ms> fallback) {
  if (!d) return fallback;
  if (d->count() <= 0) return std::nullopt;
  return *d;
}

}  // namespace

ConnectionSettings connection_settings(const std::optional<state::ConnectionPoolSettings>& pool) {
  ConnectionSettings out;
  if (!pool) return out;
  if (const auto& tcp = pool->tcp) {
    if (tcp->connect_timeout && tcp->connect_timeout->count() > 0)
      out.connect_timeout = *tcp->connect_timeout;
    if (const auto& k = tcp->tcp_keepalive) {
      out.keepalive.emplace();
      out.keepalive->probes = k->probes;
      out.keepalive->time = k->time;
      out.keepalive->interval = k->interval;
    }
    if (tcp->max_connection_duration && tcp->max_connection_duration->count() > 0)
      out.max_connection_duration = *tcp->max_connection_duration;
    out.tcp_idle_timeout = timeout_or(tcp->idle_timeout, out.tcp_idle_timeout);
    out.http_idle_timeout = out.tcp_idle_timeout;
  }
  if (const auto& http = pool->http) {
    out.http_idle_timeout = timeout_or(http->idle_timeout, out.http_idle_timeout);
    if (http->max_concurrent_streams && *http->max_concurrent_streams > 0)
      out.max_concurrent_streams = static_cast<uint32_t>(*http->max_concurrent_streams);
    // Without an interval no PING is sent. Envoy requires a timeout; one left out here
    // waits 20 s for the ACK.
    if (const auto& k = http->http2_keep_alive; k && k->interval && k->interval->count() > 0) {
      ConnectionSettings::Http2Keepalive h;
      h.interval = *k->interval;
      h.timeout = k->timeout && k->timeout->count() > 0 ? *k->timeout : ms{20'000};
      out.http2_keepalive = h;
    }
    out.use_client_protocol = http->use_client_protocol.value_or(false);
  }
  return out;
}

}  // namespace zmesh::upstream
