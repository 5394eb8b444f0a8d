// VirtualService's HTTPRoute and the messages it is made of (networking/v1alpha3/
// virtual_service.proto), as written: defaults Istio applies when translating are documented
// here but not filled in, so config_dump shows what the user wrote.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

// Destination{host, subset, port{number}}.
struct RouteDestinationRef {
  std::string host;
  std::string subset;
  std::optional<uint32_t> port;  // port.number
};

// Headers.HeaderOperations: set overwrites, add appends, remove deletes.
struct HeaderOperations {
  std::map<std::string, std::string> set;
  std::map<std::string, std::string> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct HeadersPolicy {
  HeaderOperations request;
  HeaderOperations response;
  bool empty() const { return request.empty() && response.empty(); }
};

// A header, withoutHeaders or queryParams value: nullopt is `{}` (or `regex: "*"`), which
// means "present" rather than a value match.
using PresenceOrMatch = std::optional<StringMatch>;

struct HttpMatchRequest {
  std::string name;
  std::optional<StringMatch> uri, scheme, method, authority;
  std::map<std::string, PresenceOrMatch> headers;
  std::map<std::string, PresenceOrMatch> without_headers;
  std::map<std::string, PresenceOrMatch> query_params;
  std::optional<uint32_t> port;
  Labels source_labels;
  std::vector<std::string> gateways;  // overrides the VirtualService's gateways
  std::string source_namespace;
  bool ignore_uri_case = false;
  std::string stat_prefix;
};

struct HttpRouteDestination {
  RouteDestinationRef destination;
  int32_t weight = 0;  // 0 written or absent; a single destination gets 100% anyway
  HeadersPolicy headers;
};

enum class RedirectPortKind { kNone, kPort, kFromProtocolDefault, kFromRequestPort };

struct HttpRedirect {
  std::string uri;
  std::string authority;
  RedirectPortKind port_kind = RedirectPortKind::kNone;
  uint32_t port = 0;  // when port_kind is kPort
  std::string scheme;
  uint32_t redirect_code = 0;  // 0: unset, Envoy's 301
  std::string prefix_rewrite;
};

struct HttpDirectResponse {
  uint32_t status = 0;
  // body.string or body.bytes (decoded from base64); nullopt without a body.
  std::optional<std::string> body;
  bool body_is_bytes = false;
};

struct HttpDelegate {
  std::string name;
  std::string namespace_;  // empty: the VirtualService's own namespace
};

struct HttpRewrite {
  std::string uri;
  std::string authority;
  struct RegexRewrite {
    std::string match;  // RE2, validated
    std::string rewrite;
  };
  std::optional<RegexRewrite> uri_regex_rewrite;
};

struct HttpRetry {
  int32_t attempts = 0;
  std::optional<Duration> per_try_timeout;
  std::string retry_on;  // comma-separated, validated token by token
  std::optional<bool> retry_remote_localities;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<Duration> backoff;
};

struct HttpFaultInjection {
  struct Delay {
    std::optional<Duration> fixed_delay;  // absent: Istio accepts it, and delays nothing
    std::optional<double> percentage;     // percentage.value
    std::optional<int32_t> percent;       // deprecated; used only without percentage
  };
  struct Abort {
    enum class Kind { kUnset, kHttpStatus, kGrpcStatus };  // kUnset: aborts nothing
    Kind kind = Kind::kUnset;
    int32_t http_status = 0;
    std::string grpc_status;           // an upper-case gRPC code name
    std::optional<double> percentage;  // absent: no request is aborted
  };
  std::optional<Delay> delay;
  std::optional<Abort> abort;
};

struct HttpMirrorPolicy {
  RouteDestinationRef destination;
  std::optional<double> percentage;  // absent: 100%
};

enum class UnmatchedPreflights { kUnspecified, kForward, kIgnore };

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_origin;  // deprecated exact origins
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  std::optional<Duration> max_age;
  std::optional<bool> allow_credentials;
  UnmatchedPreflights unmatched_preflights = UnmatchedPreflights::kUnspecified;
};

struct HttpRoute {
  std::string name;
  std::vector<HttpMatchRequest> match;  // ORed; empty matches everything
  std::vector<HttpRouteDestination> route;
  std::optional<HttpRedirect> redirect;
  std::optional<HttpDirectResponse> direct_response;
  std::optional<HttpDelegate> delegate;
  std::optional<HttpRewrite> rewrite;
  std::optional<Duration> timeout;  // absent: disabled
  std::optional<HttpRetry> retries;
  std::optional<HttpFaultInjection> fault;
  std::optional<RouteDestinationRef> mirror;
  std::optional<double> mirror_percentage;  // mirrorPercentage.value
  std::optional<uint32_t> mirror_percent;   // deprecated mirrorPercent / mirror_percent
  std::vector<HttpMirrorPolicy> mirrors;
  std::optional<CorsPolicy> cors_policy;
  HeadersPolicy headers;
};

}  // namespace zmesh::state
