#include "state/security_common.h"

#include <charconv>

namespace zmesh::state {
namespace {

std::optional<IpAddress> parse_address(const std::string& text) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(text, ec);
  // A zone ("fe80::1%eth0") is no part of a policy's address.
  if (ec || (ip.is_v6() && ip.to_v6().scope_id() != 0)) return std::nullopt;
  return ip;
}

uint8_t full_length(const IpAddress& ip) {
  return ip.is_v4() ? 32 : 128;
}

}  // namespace

std::optional<IpBlock> IpBlock::parse(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    auto ip = parse_address(text);
    if (!ip) return std::nullopt;
    return IpBlock{*ip, full_length(*ip)};
  }
  auto ip = parse_address(text.substr(0, slash));
  if (!ip) return std::nullopt;
  // Go's netip.ParsePrefix: decimal digits only, no sign, no leading zero.
  std::string_view bits(text);
  bits.remove_prefix(slash + 1);
  if (bits.empty() || bits.size() > 3 || (bits.size() > 1 && bits[0] == '0')) return std::nullopt;
  unsigned len = 0;
  auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), len);
  if (ec != std::errc() || ptr != bits.data() + bits.size() || len > full_length(*ip)) {
    return std::nullopt;
  }
  return IpBlock{*ip, static_cast<uint8_t>(len)};
}

bool IpBlock::contains(const IpAddress& ip) const {
  if (ip.is_v4() != address.is_v4()) return false;
  if (address.is_v4()) {
    auto a = address.to_v4().to_uint();
    auto b = ip.to_v4().to_uint();
    uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    return (a & mask) == (b & mask);
  }
  auto a = address.to_v6().to_bytes();
  auto b = ip.to_v6().to_bytes();
  unsigned bits = prefix_len;
  for (size_t i = 0; i < a.size() && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<uint8_t>(0xff << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string IpBlock::to_string() const {
  if (prefix_len == full_length(address)) return address.to_string();
  return address.to_string() + "/" + std::to_string(prefix_len);
}

}  // namespace zmesh::state
