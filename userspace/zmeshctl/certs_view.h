// Human output of `zmeshctl certs`: one row per workload certificate, then its chain.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace zmesh::zmeshctl {

// `certs` is the daemon's reply: {"trustDomain","ca","certificates":[...]}.
std::string render_certs(const nlohmann::json& certs);

}  // namespace zmesh::zmeshctl
