// HTTP/1.1 protocol upgrades, as Istio configures Envoy (upgrade_configs: websocket): a
// WebSocket upgrade is routed like any request and, once the upstream answers 101, both
// connections become one byte tunnel. An `Upgrade: h2c` offer is dropped (the request goes on
// as HTTP/1.1, as Envoy's HTTP/1 codec does); any other upgrade is refused with 403.
#pragma once

#include "l7/http_message.h"

namespace zmesh::l7 {

enum class UpgradeKind { kNone, kWebSocket, kH2c, kOther };

// `Connection` must list "upgrade" and `Upgrade` name the protocol (case-insensitive).
UpgradeKind upgrade_kind(const Request& request);

// Removes the h2c offer (Upgrade, HTTP2-Settings, and their Connection tokens).
void drop_h2c_offer(Request& request);

}  // namespace zmesh::l7
