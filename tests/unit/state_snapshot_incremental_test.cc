// Snapshot::with (incremental compile) must give exactly what a full build of the same
// objects gives, whatever the history: random sequences of adds, updates and deletes of
// every kind the compiler indexes are checked step by step against a rebuild from scratch.
// Plus the EndpointSlice path for Services without a selector.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "state/snapshot.h"

namespace zmesh::state {
namespace {

using boost::asio::ip::make_address;

ObjectMeta meta(const std::string& ns, const std::string& name, Labels labels = {}) {
  ObjectMeta m;
  m.namespace_ = ns;
  m.name = name;
  m.labels = std::move(labels);
  return m;
}

// Everything a data path lookup can observe, as text: config_dump plus the indexes and the
// ready backends config_dump does not show.
std::string observe(const Snapshot& s, const std::vector<std::string>& ips) {
  std::string out = s.to_json().dump();
  for (const auto& text : ips) {
    auto ip = make_address(text);
    if (auto w = s.workload_by_ip(ip)) out += "\nip " + text + " -> " + w->uid;
    if (auto svc = s.service_by_vip(ip)) {
      out += "\nvip " + text + " -> " + svc->namespace_ + "/" + svc->name;
      for (size_t i = 0; i < svc->ready_backends.size(); ++i) {
        for (const auto& b : svc->ready_backends[i]) {
          out += " [" + std::to_string(i) + " " + (b.workload ? b.workload->uid : "-") + " " +
                 b.address.to_string() + ":" + std::to_string(b.port) + "]";
        }
      }
    }
  }
  for (const auto& svc : s.services()) {
    if (s.service_by_host(svc->hostname) != svc) out += "\nhost index misses " + svc->hostname;
  }
  for (const auto& w : s.workloads()) {
    out += "\nmtls " + w->uid + " " + to_string(s.mtls_mode(*w, 8080));
    if (const auto* svc = s.service_for_port(*w, 8080)) out += " svc " + svc->name;
  }
  return out;
}

class RandomHistory {
 public:
  explicit RandomHistory(uint32_t seed) : rng_(seed) {}

  // One random change against the current objects.
  ObjectChange next() {
    std::string ns = pick({"a", "b"});
    switch (rng_() % 6) {
      case 0:
      case 1: {  // a pod: labels, IP (shared IPs happen), phase, readiness
        Pod pod;
        pod.meta = meta(ns, pick({"p1", "p2", "p3", "p4"}),
                        {{"app", pick({"web", "db"})}, {"version", pick({"v1", "v2"})}});
        pod.service_account = "sa";
        pod.pod_ips.push_back(make_address(pick(ips_)));
        pod.phase = pick({"Running", "Running", "Succeeded"});
        pod.ready = rng_() % 4 != 0;
        pod.host_network = rng_() % 8 == 0;
        pod.ports.push_back({"http", 8080, "TCP"});
        return change(std::move(pod));
      }
      case 2: {  // a service, with or without selector
        Service svc;
        svc.meta = meta(ns, pick({"s1", "s2", "s3"}));
        svc.cluster_ips.push_back(make_address(pick(vips_)));
        ServicePort p;
        p.name = "http";
        p.port = 80;
        p.target_port_name = rng_() % 2 ? "http" : "";
        p.target_port = 8080;
        svc.ports.push_back(p);
        if (rng_() % 3 != 0) svc.selector = {{"app", pick({"web", "db"})}};
        return change(std::move(svc));
      }
      case 3: {  // an EndpointSlice of some service
        EndpointSlice slice;
        slice.meta = meta(ns, pick({"e1", "e2"}), {{kServiceNameLabel, pick({"s1", "s2", "s3"})}});
        Endpoint e;
        e.ips.push_back(make_address(pick(ips_)));
        e.ips.push_back(make_address(pick({"192.0.2.1", "192.0.2.2"})));
        e.conditions.ready = rng_() % 4 != 0;
        slice.endpoints.push_back(e);
        slice.ports.push_back({"http", "TCP", uint16_t{9090}, ""});
        return change(std::move(slice));
      }
      case 4: {  // the namespace, ambient or not
        Namespace n;
        n.meta = meta("", ns);
        if (rng_() % 2) n.meta.labels[kDataplaneModeLabel] = kDataplaneModeAmbient;
        return change(std::move(n));
      }
      default: {  // a PeerAuthentication
        PeerAuthentication pa;
        pa.meta = meta(ns, pick({"pa1", "pa2"}));
        if (rng_() % 2) pa.selector = Labels{{"app", pick({"web", "db"})}};
        pa.mode = rng_() % 2 ? MtlsMode::kStrict : MtlsMode::kDisable;
        return change(std::move(pa));
      }
    }
  }

  std::vector<ObjectChange> everything() const {
    std::vector<ObjectChange> out;
    for (const auto& [key, object] : current_) out.push_back({nullptr, object});
    return out;
  }
  std::vector<std::string> addresses() const {
    auto out = ips_;
    out.insert(out.end(), vips_.begin(), vips_.end());
    out.insert(out.end(), {"192.0.2.1", "192.0.2.2"});
    return out;
  }

 private:
  std::string pick(const std::vector<std::string>& options) {
    return options[rng_() % options.size()];
  }

  // Adds or updates `object`, or (one time in four) deletes what is there.
  template <typename T>
  ObjectChange change(T object) {
    std::string key =
        std::to_string(Object(T{}).index()) + "/" + object.meta.namespace_ + "/" + object.meta.name;
    ObjectPtr before = current_.count(key) ? current_[key] : nullptr;
    if (before && rng_() % 4 == 0) {
      current_.erase(key);
      return {before, nullptr};
    }
    auto after = std::make_shared<const Object>(std::move(object));
    current_[key] = after;
    return {before, after};
  }

  std::mt19937 rng_;
  std::map<std::string, ObjectPtr> current_;
  std::vector<std::string> ips_ = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1"};
  std::vector<std::string> vips_ = {"10.96.0.1", "10.96.0.2"};
};

TEST(SnapshotIncremental, EveryStepEqualsAFullRebuild) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    RandomHistory history(seed);
    auto incremental = std::make_shared<const Snapshot>();
    for (int step = 0; step < 60; ++step) {
      // Sometimes several changes at once, as one commit of the store brings them.
      std::vector<ObjectChange> batch;
      int n = step % 7 == 0 ? 25 : 1;
      for (int i = 0; i < n; ++i) batch.push_back(history.next());
      incremental = incremental->with(batch);
      auto rebuilt = Snapshot().with(history.everything());
      ASSERT_EQ(observe(*incremental, history.addresses()), observe(*rebuilt, history.addresses()))
          << "seed " << seed << " step " << step;
    }
  }
}

// The daemon re-checks open connections only when the policy sets change: a pod change keeps
// them (same pointers), a PeerAuthentication change does not.
TEST(SnapshotIncremental, PolicySetsChangeOnlyWithPolicies) {
  Pod pod;
  pod.meta = meta("shop", "web-0", {{"app", "web"}});
  pod.pod_ips.push_back(make_address("10.0.0.5"));
  auto first = Snapshot().with({{nullptr, std::make_shared<const Object>(pod)}});
  Pod moved = pod;
  moved.pod_ips = {make_address("10.0.0.6")};
  auto second =
      first->with({{std::make_shared<const Object>(pod), std::make_shared<const Object>(moved)}});
  EXPECT_TRUE(first->policy_sets() == second->policy_sets());
  PeerAuthentication pa;
  pa.meta = meta("shop", "strict");
  pa.mode = MtlsMode::kStrict;
  auto third = second->with({{nullptr, std::make_shared<const Object>(pa)}});
  EXPECT_FALSE(second->policy_sets() == third->policy_sets());
}

TEST(SnapshotIncremental, OldSnapshotIsUntouchedByTheNext) {
  RandomHistory history(7);
  auto first = std::make_shared<const Snapshot>();
  for (int i = 0; i < 50; ++i) first = first->with({history.next()});
  std::string before = observe(*first, history.addresses());
  auto second = first;
  for (int i = 0; i < 50; ++i) second = second->with({history.next()});
  EXPECT_EQ(observe(*first, history.addresses()), before);
}

TEST(SnapshotIncremental, ServiceWithoutSelectorUsesItsEndpointSlices) {
  Pod pod;
  pod.meta = meta("shop", "db-0", {{"app", "db"}});
  pod.pod_ips.push_back(make_address("10.0.0.7"));
  Service svc;
  svc.meta = meta("shop", "db");
  svc.cluster_ips.push_back(make_address("10.96.0.9"));
  ServicePort sp;
  sp.name = "sql";
  sp.port = 5432;
  svc.ports.push_back(sp);
  EndpointSlice slice;
  slice.meta = meta("shop", "db-abcde", {{kServiceNameLabel, "db"}});
  Endpoint known, external, unready;
  known.ips.push_back(make_address("10.0.0.7"));
  external.ips.push_back(make_address("192.0.2.50"));
  unready.ips.push_back(make_address("192.0.2.51"));
  unready.conditions.ready = false;
  slice.endpoints = {known, external, unready};
  slice.ports.push_back({"sql", "TCP", uint16_t{15432}, ""});

  ConfigSet objects;
  objects.pods = {pod};
  objects.services = {svc};
  objects.endpoint_slices = {slice};
  auto s = Snapshot::build(objects);
  auto info = s->service_by_vip(make_address("10.96.0.9"));
  ASSERT_TRUE(info);
  ASSERT_EQ(info->endpoints.size(), 1u);
  EXPECT_EQ(info->endpoints[0]->uid, "shop/db-0");
  ASSERT_EQ(info->ready_backends[0].size(), 2u);  // the unready address is left out

  uint64_t rr = 0;
  auto first = s->resolve({make_address("10.96.0.9"), 5432}, rr);
  auto second = s->resolve({make_address("10.96.0.9"), 5432}, rr);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->workload->uid, "shop/db-0");
  EXPECT_EQ(s->service_by_host("db.shop.svc.cluster.local"), info);
  EXPECT_EQ(first->endpoint, boost::asio::ip::tcp::endpoint(make_address("10.0.0.7"), 15432));
  EXPECT_FALSE(second->workload);  // outside the mesh view: dialed as the slice says
  EXPECT_EQ(second->endpoint, boost::asio::ip::tcp::endpoint(make_address("192.0.2.50"), 15432));

  // The slice goes: so do the endpoints.
  auto emptied = s->with({{std::make_shared<const Object>(slice), nullptr}});
  EXPECT_TRUE(emptied->service_by_vip(make_address("10.96.0.9"))->ready_backends[0].empty());
}

}  // namespace
}  // namespace zmesh::state
