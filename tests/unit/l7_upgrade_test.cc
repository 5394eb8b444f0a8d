// Which upgrades ztunnel tunnels (WebSocket), drops (an h2c offer) or refuses (anything else).
#include <gtest/gtest.h>

#include "l7/upgrade.h"

namespace zmesh::l7 {
namespace {

Request request(const char* connection, const char* upgrade, unsigned version = 11) {
  Request r{http::verb::get, "/chat", version};
  r.set(http::field::host, "chat");
  if (connection) r.set(http::field::connection, connection);
  if (upgrade) r.set(http::field::upgrade, upgrade);
  return r;
}

TEST(Upgrade, Kinds) {
  struct Case {
    const char* connection;
    const char* upgrade;
    unsigned version;
    UpgradeKind want;
  } cases[] = {
      {"Upgrade", "websocket", 11, UpgradeKind::kWebSocket},
      {"keep-alive, Upgrade", "WebSocket", 11, UpgradeKind::kWebSocket},
      {"upgrade", "websocket", 10, UpgradeKind::kNone},     // HTTP/1.0 cannot upgrade
      {"keep-alive", "websocket", 11, UpgradeKind::kNone},  // not a hop-by-hop request
      {nullptr, "websocket", 11, UpgradeKind::kNone},
      {"Upgrade", nullptr, 11, UpgradeKind::kNone},
      {"Upgrade, HTTP2-Settings", "h2c", 11, UpgradeKind::kH2c},
      {"Upgrade", "foo", 11, UpgradeKind::kOther},
      {"Upgrade", "h2c, websocket", 11, UpgradeKind::kH2c},  // the first offer decides
  };
  for (const auto& c : cases)
    EXPECT_EQ(upgrade_kind(request(c.connection, c.upgrade, c.version)), c.want)
        << (c.connection ? c.connection : "-") << " / " << (c.upgrade ? c.upgrade : "-");
}

TEST(Upgrade, DroppingAnH2cOfferLeavesAPlainRequest) {
  auto r = request("Upgrade, HTTP2-Settings", "h2c");
  r.set("HTTP2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA");
  drop_h2c_offer(r);
  EXPECT_EQ(upgrade_kind(r), UpgradeKind::kNone);
  EXPECT_EQ(r.find(http::field::upgrade), r.end());
  EXPECT_EQ(r.find("HTTP2-Settings"), r.end());
  EXPECT_EQ(r[http::field::host], "chat");
}

}  // namespace
}  // namespace zmesh::l7
