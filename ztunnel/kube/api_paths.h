// The API server's address and the REST paths the reflectors GET: discovery, paged LIST
// and WATCH, for a kind's group, version and plural resource name.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace zmesh::kube {

struct ServerUrl {
  bool tls = true;
  std::string host;       // name or IP address, without IPv6 brackets
  std::string port;       // "443" when the URL has none (80 for http)
  std::string base_path;  // "" or a proxy prefix like "/k8s" (no trailing slash)
};

// "https://host[:port][/prefix]" or "http://..." (tests).
Result<ServerUrl> parse_server_url(std::string_view url);

struct Resource {
  std::string group;  // "" for the core API
  std::string version;
  std::string plural;  // "pods", "virtualservices"
  // LIST and WATCH only the objects it selects ("metadata.name=istio"); "" selects all.
  std::string field_selector = {};
};

// Kubernetes' lowercase plural of a kind, as kubectl guesses it when discovery is not asked:
// Pod -> pods, AuthorizationPolicy -> authorizationpolicies, Ingress -> ingresses.
std::string plural_of(std::string_view kind);

// "networking.istio.io/v1" or "v1": the apiVersion objects of this resource carry.
std::string api_version_of(const Resource& r);

// /apis/<group> (lists the versions served and the preferred one).
std::string discovery_path(std::string_view group);

// /api/v1/pods?limit=500[&continue=...][&fieldSelector=...] (all namespaces).
std::string list_path(const Resource& r, size_t limit, const std::string& continue_token);

// /apis/g/v/plural?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=N
// [&fieldSelector=...]
std::string watch_path(const Resource& r, const std::string& resource_version, int timeout_seconds);

// Percent-encodes everything but RFC 3986 unreserved characters (continue tokens are base64).
std::string query_escape(std::string_view value);

}  // namespace zmesh::kube
