#include "rbac/forwarded_for.h"

#include <string>

namespace zmesh::rbac {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<state::IpAddress> forwarded_client(const std::vector<std::string_view>& xff_values,
                                                 uint32_t trusted_hops) {
  if (trusted_hops == 0) return std::nullopt;
  std::vector<std::string_view> hops;
  for (auto value : xff_values) {
    while (!value.empty()) {
      auto comma = value.find(',');
      hops.push_back(trim(value.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  if (hops.size() < trusted_hops) return std::nullopt;
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(std::string(hops[hops.size() - trusted_hops]), ec);
  if (ec) return std::nullopt;
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  return ip;
}

}  // namespace zmesh::rbac
