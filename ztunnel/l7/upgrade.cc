#include "l7/upgrade.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace zmesh::l7 {
using boost::beast::iequals;

UpgradeKind upgrade_kind(const Request& request) {
  if (request.version() != 11) return UpgradeKind::kNone;  // HTTP/1.0 and HTTP/2 cannot
  auto upgrade = request.find(http::field::upgrade);
  if (upgrade == request.end()) return UpgradeKind::kNone;
  bool listed = false;
  for (auto token : http::token_list(request[http::field::connection]))
    if (iequals(token, "upgrade")) listed = true;
  if (!listed) return UpgradeKind::kNone;
  // The first protocol offered decides (a client offers one in practice).
  for (auto token : http::token_list(upgrade->value())) {
    if (iequals(token, "websocket")) return UpgradeKind::kWebSocket;
    if (iequals(token, "h2c")) return UpgradeKind::kH2c;
    return UpgradeKind::kOther;
  }
  return UpgradeKind::kNone;
}

void drop_h2c_offer(Request& request) {
  request.erase(http::field::upgrade);
  request.erase("HTTP2-Settings");
  request.erase(http::field::connection);  // hop by hop: the upstream gets our own anyway
}

}  // namespace zmesh::l7
