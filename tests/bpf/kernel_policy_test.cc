// The identity-free L4 policy in the real kernel (bpf/lib/policy.h), written by the daemon's
// own sync (app::sync_kernel_policies) from a snapshot: a denied source is refused at
// sk_lookup with a reset before any listener sees it, an allowed one is steered to 15006,
// STRICT refuses plaintext, HBONE (15008) meets only the port-independent part, refusals are
// counted per pod and policy; and one table of connections run through the daemon's decision
// (rbac::recheck_denial) and through the kernel gives the same answers.
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <variant>

#include "app/kernel_policy_sync.h"
#include "bpf_fixture.h"
#include "config/yaml_parser.h"
#include "rbac/inbound_decision.h"

namespace zmesh::testing {
namespace {

constexpr const char* kPodIp = "10.78.0.2";
constexpr const char* kPodIp6 = "fd78::2";
constexpr const char* kClient = "10.78.0.1";
constexpr const char* kOther = "10.78.0.3";
constexpr const char* kThird = "10.78.0.4";
constexpr const char* kClient6 = "fd78::1";
constexpr const char* kOther6 = "fd78::3";
constexpr const char* kNode = "n1";

const char* kCluster = R"yaml(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1}
status: {phase: Running, podIP: 10.78.0.2, podIPs: [{ip: 10.78.0.2}, {ip: "fd78::2"}]}
)yaml";

std::string authz(const std::string& name, const std::string& spec) {
  return "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: " +
         name + ", namespace: shop}\nspec:\n" + spec;
}

class KernelPolicyTest : public BpfTest {
 protected:
  void SetUp() override {
    BpfTest::SetUp();
    if (IsSkipped()) return;
    open_datapath();
    pod_ = &make_netns("pod");
    client_ = &make_netns("cli");
    std::string tag = short_tag();
    connect_veth(*pod_, std::string(kPodIp) + "/24", *client_, std::string(kClient) + "/24", tag);
    client_->ip("addr add " + std::string(kOther) + "/24 dev zvb" + tag);
    client_->ip("addr add " + std::string(kThird) + "/24 dev zvb" + tag);
    pod_->ip("-6 addr add " + std::string(kPodIp6) + "/64 dev zva" + tag + " nodad");
    client_->ip("-6 addr add " + std::string(kClient6) + "/64 dev zvb" + tag + " nodad");
    client_->ip("-6 addr add " + std::string(kOther6) + "/64 dev zvb" + tag + " nodad");
    // One listener per family (the fixture's IPv6 sockets are IPv6-only), as the daemon has.
    inbound_ = listen_in(pod_->fd(), ep("0.0.0.0", 15006));
    inbound6_ = listen_in(pod_->fd(), ep("::", 15006));
    for (auto [ip, fd] : {std::pair{kPodIp, inbound_.get()}, std::pair{kPodIp6, inbound6_.get()}}) {
      auto r =
          datapath_->attach_inbound(pod_->fd(), "shop/web", boost::asio::ip::make_address(ip), fd);
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }

  // Publishes a snapshot with `policies` to the kernel as the daemon does.
  std::shared_ptr<const state::Snapshot> apply(const std::string& policies) {
    auto parsed = config::parse_yaml(std::string(kCluster) + policies, "t.yaml", "t.yaml");
    EXPECT_TRUE(parsed.ok());
    state::ConfigSet set;
    for (auto& decoded : parsed.value()) {
      EXPECT_TRUE(decoded.object) << decoded.error;
      if (decoded.object) std::visit([&](auto& o) { set.add(std::move(o)); }, *decoded.object);
    }
    auto snapshot = state::Snapshot::build(std::move(set));
    app::sync_kernel_policies(*datapath_, *snapshot, kNode);
    return snapshot;
  }

  enum class Outcome { kSteered, kRefused, kOther };

  // Connects from `src` to `dst`:`port`: refused (a reset, so at once) or steered (the
  // daemon's listener accepts it).
  Outcome attempt(const char* src, const char* dst, uint16_t port) {
    auto start = std::chrono::steady_clock::now();
    int listener = ep(dst, port).address().is_v4() ? inbound_.get() : inbound6_.get();
    UniqueFd conn = connect_in(client_->fd(), ep(dst, port), ep(src, 0));
    int err = errno;
    auto took = std::chrono::steady_clock::now() - start;
    if (!conn) {
      EXPECT_EQ(err, ECONNREFUSED) << std::strerror(err);
      EXPECT_LT(took, std::chrono::milliseconds(500)) << "refused late: a dropped SYN, no reset";
      EXPECT_FALSE(accept_within(listener, 50)) << "a refused connection was accepted";
      return err == ECONNREFUSED ? Outcome::kRefused : Outcome::kOther;
    }
    UniqueFd accepted = accept_within(listener);
    return accepted ? Outcome::kSteered : Outcome::kOther;
  }

  uint64_t denied(const std::string& pod_ip, const std::string& policy) {
    uint64_t n = 0;
    for (const auto& d : pinned().policy_denials())
      if (d.pod_ip.to_string() == pod_ip && d.policy == policy) n += d.denied;
    return n;
  }

  std::string zmeshctl_policies() const {
    std::string cmd = std::string(ZMESH_BINARY_DIR) + "/bin/zmeshctl --bpf-pin-root " + pin_root_ +
                      " kernel-policies 2>&1";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
      ::pclose(p);
    }
    return out;
  }

  TestNetns* pod_ = nullptr;
  TestNetns* client_ = nullptr;
  UniqueFd inbound_, inbound6_;
};

TEST_F(KernelPolicyTest, DeniedSourceIsResetBeforeAcceptAndAllowedIsSteered) {
  apply(authz("deny-other", R"(  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.78.0.3/32"]}}]}]
)"));
  EXPECT_EQ(attempt(kOther, kPodIp, 9000), Outcome::kRefused);
  EXPECT_EQ(attempt(kOther, kPodIp, 80), Outcome::kRefused);
  EXPECT_EQ(attempt(kClient, kPodIp, 9000), Outcome::kSteered);
  EXPECT_EQ(denied(kPodIp, "shop/deny-other"), 2u);

  // What an operator sees: `zmeshctl kernel-policies` reads the same pins.
  std::string table = zmeshctl_policies();
  EXPECT_NE(table.find("shop/deny-other"), std::string::npos) << table;
  EXPECT_NE(table.find("10.78.0.3/32"), std::string::npos) << table;
  EXPECT_NE(table.find("DENY"), std::string::npos) << table;

  auto policies = pinned().kernel_policies();
  ASSERT_EQ(policies.size(), 2u) << "one entry per pod IP";
  EXPECT_EQ(policies[0].pod, "shop/web");
  EXPECT_EQ(policies[0].deny_policies, std::vector<std::string>{"shop/deny-other"});

  // The policy changes in place: the new source is refused, the old one steered, and the
  // pod keeps its counters.
  apply(authz("deny-other", R"(  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.78.0.4/32"]}}]}]
)"));
  EXPECT_EQ(attempt(kThird, kPodIp, 9000), Outcome::kRefused);
  EXPECT_EQ(attempt(kOther, kPodIp, 9000), Outcome::kSteered);
  EXPECT_EQ(denied(kPodIp, "shop/deny-other"), 3u);

  // The policy goes: the source is steered again, and the pod's counters go with it.
  apply("");
  EXPECT_EQ(attempt(kOther, kPodIp, 9000), Outcome::kSteered);
  EXPECT_TRUE(pinned().kernel_policies().empty());
  EXPECT_TRUE(pinned().policy_denials().empty());
}

TEST_F(KernelPolicyTest, StrictRefusesPlaintextButNotHbone) {
  apply(R"(---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
  portLevelMtls: {8080: {mode: PERMISSIVE}}
)");
  EXPECT_EQ(attempt(kClient, kPodIp, 9000), Outcome::kRefused);
  EXPECT_EQ(attempt(kClient6, kPodIp6, 9000), Outcome::kRefused);
  EXPECT_EQ(attempt(kClient, kPodIp, 8080), Outcome::kSteered) << "portLevelMtls PERMISSIVE";
  EXPECT_EQ(denied(kPodIp, "PeerAuthentication STRICT"), 1u);
  EXPECT_EQ(denied(kPodIp6, "PeerAuthentication STRICT"), 1u);

  UniqueFd hbone = listen_in(pod_->fd(), ep(kPodIp, 15008));
  UniqueFd conn = connect_in(client_->fd(), ep(kPodIp, 15008));
  ASSERT_TRUE(conn) << std::strerror(errno);
  EXPECT_TRUE(accept_within(hbone.get())) << "HBONE is mTLS: STRICT lets it through";
}

TEST_F(KernelPolicyTest, AllowListAdmitsOnlyItsSourcesAndPorts) {
  apply(authz("from-client", R"(  rules:
  - from: [{source: {ipBlocks: ["10.78.0.1/32", "fd78::1/128"]}}]
    to: [{operation: {ports: ["9000"]}}]
)"));
  EXPECT_EQ(attempt(kClient, kPodIp, 9000), Outcome::kSteered);
  EXPECT_EQ(attempt(kClient6, kPodIp6, 9000), Outcome::kSteered);
  EXPECT_EQ(attempt(kClient, kPodIp, 9001), Outcome::kRefused);
  EXPECT_EQ(attempt(kOther, kPodIp, 9000), Outcome::kRefused);
  EXPECT_EQ(attempt(kOther6, kPodIp6, 9000), Outcome::kRefused);
  EXPECT_EQ(denied(kPodIp, "no ALLOW policy matched"), 2u);
  EXPECT_EQ(denied(kPodIp6, "no ALLOW policy matched"), 1u);
}

TEST_F(KernelPolicyTest, HbonePortMeetsOnlyPortIndependentRules) {
  UniqueFd hbone = listen_in(pod_->fd(), ep(kPodIp, 15008));
  apply(authz("deny-other", R"(  action: DENY
  rules: [{from: [{source: {ipBlocks: ["10.78.0.3/32"]}}]}]
)") + authz("deny-third-9000", R"(  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["10.78.0.4/32"]}}]
    to: [{operation: {ports: ["9000"]}}]
)"));
  UniqueFd refused = connect_in(client_->fd(), ep(kPodIp, 15008), ep(kOther, 0));
  EXPECT_FALSE(refused);
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_FALSE(accept_within(hbone.get(), 100));
  EXPECT_EQ(denied(kPodIp, "shop/deny-other"), 1u);
  // Denied on one app port only: the tunnel may carry others.
  UniqueFd third = connect_in(client_->fd(), ep(kPodIp, 15008), ep(kThird, 0));
  ASSERT_TRUE(third) << std::strerror(errno);
  EXPECT_TRUE(accept_within(hbone.get()));
  EXPECT_FALSE(accept_within(inbound_.get(), 50)) << "HBONE is never steered";
}

TEST_F(KernelPolicyTest, IdentityRulesStayWithTheDaemon) {
  apply(authz("by-principal", R"(  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
)"));
  // The daemon would refuse plaintext here, but only the daemon can know: steered.
  EXPECT_EQ(attempt(kOther, kPodIp, 9000), Outcome::kSteered);
  EXPECT_TRUE(pinned().kernel_policies().empty());
}

// One table of connections, two evaluators: the daemon's plaintext decision and the kernel.
TEST_F(KernelPolicyTest, KernelAndDaemonAgreeOnOneTable) {
  auto snapshot = apply(authz("deny-other-9001", R"(  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["10.78.0.3/32"]}}]
    to: [{operation: {ports: ["9001"]}}]
)") + authz("subnet-but-third", R"(  rules:
  - from: [{source: {ipBlocks: ["10.78.0.0/24", "fd78::/64"], notIpBlocks: ["10.78.0.4/32"]}}]
    to: [{operation: {ports: ["9000", "9001"]}}]
)"));
  auto workload = snapshot->workload_by_uid("shop/web");
  ASSERT_TRUE(workload);
  struct Row {
    const char* src;
    const char* dst;
    uint16_t port;
  };
  const Row rows[] = {{kClient, kPodIp, 9000},   {kClient, kPodIp, 9001}, {kClient, kPodIp, 9002},
                      {kOther, kPodIp, 9000},    {kOther, kPodIp, 9001},  {kThird, kPodIp, 9000},
                      {kClient6, kPodIp6, 9001}, {kOther6, kPodIp6, 9002}};
  size_t refused = 0;
  for (const auto& row : rows) {
    boost::asio::ip::tcp::endpoint from(boost::asio::ip::make_address(row.src), 40000);
    auto daemon = rbac::recheck_denial(*snapshot, *workload,
                                       rbac::connection_view(from, ep(row.dst, row.port), nullptr));
    Outcome kernel = attempt(row.src, row.dst, row.port);
    EXPECT_EQ(kernel, daemon ? Outcome::kRefused : Outcome::kSteered)
        << row.src << " -> " << row.dst << ":" << row.port
        << " daemon: " << daemon.value_or("admit");
    refused += daemon ? 1 : 0;
  }
  EXPECT_EQ(refused, 4u);
  EXPECT_EQ(denied(kPodIp, "shop/deny-other-9001"), 1u);
  EXPECT_EQ(denied(kPodIp, "no ALLOW policy matched"), 2u);
  EXPECT_EQ(denied(kPodIp6, "no ALLOW policy matched"), 1u);
}

}  // namespace
}  // namespace zmesh::testing
