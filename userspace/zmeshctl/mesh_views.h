// Human tables of the daemon's mesh view (from its config_dump): workloads, services and
// policies, kubectl style. `-o json` prints the same lists as JSON instead.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::zmeshctl {

std::string render_workloads(const nlohmann::json& workloads);
std::string render_services(const nlohmann::json& services);
// `policies`: {"peerAuthentications": [...], "authorizationPolicies": [...], ...}.
std::string render_policies(const nlohmann::json& policies);

// The policy kinds of a config_dump, by their config_dump key.
nlohmann::json policies_of(const nlohmann::json& config);

}  // namespace zmesh::zmeshctl
