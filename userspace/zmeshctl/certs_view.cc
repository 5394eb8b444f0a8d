#include "certs_view.h"

#include <sstream>

#include "table.h"

namespace zmesh::zmeshctl {

using nlohmann::json;

namespace {

std::string text(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "-";
}

}  // namespace

std::string render_certs(const json& certs) {
  std::ostringstream out;
  out << "trust domain: " << text(certs, "trustDomain") << "    CA: " << text(certs, "ca")
      << "\n\n";
  const json list = certs.value("certificates", json::array());
  if (list.empty()) return out.str() + "no workload certificates (no pod enrolled)\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& c : list) {
    rows.push_back({text(c, "identity"), text(c, "state"), text(c, "serial"), text(c, "not_before"),
                    text(c, "not_after")});
  }
  out << render_table({"IDENTITY", "STATE", "SERIAL", "NOT BEFORE", "NOT AFTER"}, rows);

  for (const auto& c : list) {
    const json chain = c.value("chain", json::array());
    if (chain.empty()) continue;
    out << "\n" << text(c, "identity") << " chain:\n";
    for (const auto& link : chain)
      out << "  subject=" << text(link, "subject") << "  issuer=" << text(link, "issuer")
          << "  serial=" << text(link, "serial") << "  not_after=" << text(link, "not_after")
          << "\n";
    if (auto err = text(c, "last_error"); err != "-" && !err.empty())
      out << "  last error: " << err << "\n";
  }
  return out.str();
}

}  // namespace zmesh::zmeshctl
