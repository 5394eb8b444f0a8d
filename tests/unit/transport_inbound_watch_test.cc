// InboundWatch: connections open before a policy change meet the new policy (ztunnel's
// PolicyWatcher). A STRICT PeerAuthentication closes plaintext connections and keeps mTLS
// ones; relays that ended are forgotten.
#include <gtest/gtest.h>

#include "rbac/inbound_decision.h"
#include "transport/inbound_watch.h"

namespace zmesh::transport {
namespace {
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

std::shared_ptr<const state::Snapshot> snapshot(state::MtlsMode mode) {
  state::Pod pod;
  pod.meta.name = "web-0";
  pod.meta.namespace_ = "shop";
  pod.meta.labels = {{"app", "web"}};
  pod.service_account = "web";
  pod.pod_ips.push_back(make_address("10.1.0.5"));
  pod.ready = true;
  pod.phase = "Running";
  state::PeerAuthentication pa;
  pa.meta.namespace_ = "shop";
  pa.meta.name = "default";
  pa.mode = mode;
  return state::Snapshot::build({}, {pod}, {}, {pa});
}

// A relay as the watch sees it: closing it records why.
struct FakeRelay {
  explicit FakeRelay(std::shared_ptr<RelayCloser> c) : closer(std::move(c)) {}
  std::shared_ptr<RelayCloser> closer;
  std::string closed_because;
  void bind() {
    closer->bind([this](const std::string& why) { closed_because = why; });
  }
};

rbac::ConnectionView view(const identity::SpiffeId* source) {
  return rbac::connection_view(tcp::endpoint(make_address("10.1.1.9"), 40000),
                               tcp::endpoint(make_address("10.1.0.5"), 8080), source);
}

TEST(InboundWatch, StrictClosesPlaintextAndKeepsMutualTls) {
  InboundWatch watch;
  identity::SpiffeId client{"cluster.local", "shop", "client"};
  FakeRelay plain{watch.watch("shop/web-0", view(nullptr))};
  FakeRelay mtls{watch.watch("shop/web-0", view(&client))};
  plain.bind();
  mtls.bind();

  EXPECT_EQ(watch.recheck(*snapshot(state::MtlsMode::kPermissive)), 0u);
  EXPECT_EQ(plain.closed_because, "");
  EXPECT_EQ(watch.recheck(*snapshot(state::MtlsMode::kStrict)), 1u);
  EXPECT_EQ(plain.closed_because, "policy changed: PeerAuthentication STRICT refuses plaintext");
  EXPECT_EQ(mtls.closed_because, "");
}

TEST(InboundWatch, ConnectionsOfOtherPodsAndEndedRelaysAreLeftAlone) {
  InboundWatch watch;
  FakeRelay other{watch.watch("shop/gone-0", view(nullptr))};  // not in the snapshot
  other.bind();
  { auto ended = watch.watch("shop/web-0", view(nullptr)); }  // its relay is over
  EXPECT_EQ(watch.recheck(*snapshot(state::MtlsMode::kStrict)), 0u);
  EXPECT_EQ(other.closed_because, "");
  EXPECT_EQ(watch.size(), 1u) << "the ended relay must be forgotten";
}

}  // namespace
}  // namespace zmesh::transport
