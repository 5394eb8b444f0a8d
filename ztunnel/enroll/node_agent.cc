#include "enroll/node_agent.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "control/ops.h"
#include "enroll/node_plan.h"
#include "netns/netns.h"

namespace zmesh::enroll {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Pods to scan for and enrollments that failed are retried after 2 s, doubling to 30 s while
// something stays unresolved (a pod the API assigned here whose sandbox is not up yet); any
// resolution starts again at 2 s. Config changes reconcile too, but scan at most every 2 s.
constexpr std::chrono::seconds kFirstRetry{2}, kMaxRetry{30};
constexpr std::chrono::seconds kMinScanGap{2};

std::optional<state::IpAddress> first_v4(const std::vector<std::string>& ips) {
  for (const auto& text : ips) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(text, ec);
    if (!ec && a.is_v4()) return a;
  }
  return std::nullopt;
}

bool has_v4(const state::Workload& w) {
  for (const auto& a : w.ips)
    if (a.is_v4()) return true;
  return false;
}

std::string pod_of(const json& request) {
  std::string pod = request.at("pod");
  if (!control::valid_pod_key(pod))
    throw std::invalid_argument("pod \"" + pod + "\" is not NS/NAME");
  return pod;
}

}  // namespace

NodeAgent::NodeAgent(boost::asio::any_io_executor control, const state::Store& store,
                     PodRegistry& registry, NodeAgentOptions options)
    : control_(control),
      store_(store),
      registry_(registry),
      options_(std::move(options)),
      retry_(control) {}

void NodeAgent::start() {
  auto snapshot = store_.current();
  auto saved = load_enrollment_file(options_.run_dir + "/enrolled.json");
  if (!saved) spdlog::warn("ignoring enrollment state: {}", saved.error().message);
  for (auto& [uid, sandbox] : saved ? *saved : Sandboxes{}) {
    auto w = snapshot->workload_by_uid(uid);
    if (!w) {
      spdlog::info("pod {} was deleted while ztunnel was down; forgetting its sandbox", uid);
      continue;
    }
    if (::access(sandbox.netns.c_str(), F_OK) != 0) {
      spdlog::info("pod {}: netns {} is gone; forgetting it", uid, sandbox.netns);
      sandbox.netns.clear();
    }
    Known k;
    static_cast<Sandbox&>(k) = sandbox;
    k.seen = true;
    bool was_enrolled = k.enrolled;
    k.enrolled = false;
    known_[uid] = std::move(k);
    if (was_enrolled && w->ambient && !known_[uid].netns.empty()) {
      if (auto r = enroll_known(uid, UniqueFd()); !r)
        spdlog::warn("not re-enrolling pod {}: {}", uid, r.error().message);
      else
        spdlog::info("re-enrolled pod {} after restart", uid);
    }
  }
  registry_.drop_stale_bpf();
  started_ = true;
  reconcile(*snapshot);
  save();
}

void NodeAgent::on_snapshot(const state::Snapshot& snapshot) {
  if (started_) reconcile(snapshot);
}

Result<void> NodeAgent::enroll_known(const std::string& uid, UniqueFd fd) {
  auto& k = known_.at(uid);
  auto r = registry_.enroll(uid, k.netns, std::move(fd), first_v4(k.ips));
  k.enrolled = r.ok();
  k.last_error = r ? "" : r.error().message;
  return r;
}

void NodeAgent::reconcile(const state::Snapshot& snapshot) {
  std::vector<PodFacts> pods;
  for (const auto& w : snapshot.workloads())
    pods.push_back(
        {w->uid, w->node == options_.node, w->ambient, w->terminated, has_v4(*w), w->mesh_reason});
  std::map<std::string, SandboxFacts> sandboxes;
  for (auto& [uid, k] : known_) {
    if (snapshot.workload_by_uid(uid)) k.seen = true;
    sandboxes[uid] = {!k.netns.empty(), k.seen, k.last_error};
  }
  std::set<std::string> enrolled;
  for (const auto& [uid, k] : known_)
    if (registry_.enrolled(uid)) enrolled.insert(uid);

  bool changed = false, retry = false;
  std::vector<std::string> scan;
  for (const auto& step : plan_node(pods, sandboxes, enrolled, options_.discover)) {
    switch (step.kind) {
      case NodeStep::kUnenroll:
        spdlog::info("pod {}: {}; unenrolling", step.uid, step.why);
        (void)registry_.unenroll(step.uid);
        if (auto it = known_.find(step.uid); it != known_.end()) it->second.enrolled = false;
        changed = true;
        break;
      case NodeStep::kForget:
        spdlog::info("pod {}: {}; forgetting its sandbox", step.uid, step.why);
        known_.erase(step.uid);
        changed = true;
        break;
      case NodeStep::kEnroll:
        if (std::string before = known_.at(step.uid).last_error;
            auto r = enroll_known(step.uid, UniqueFd())) {
          spdlog::info("pod {} joined the mesh ({}): enrolled", step.uid, step.why);
        } else {
          if (r.error().message != before)  // once per distinct failure, not every retry
            spdlog::warn("pod {} is in the mesh ({}) but enrolling it failed: {}", step.uid,
                         step.why, r.error().message);
          auto& k = known_.at(step.uid);
          if (::access(k.netns.c_str(), F_OK) != 0) k.netns.clear();  // scan for it instead
          retry = true;
        }
        changed = true;
        break;
      case NodeStep::kScan:
        scan.push_back(step.uid);
        break;
    }
  }
  std::optional<Clock::duration> soon;  // a scan skipped for the gap: do it when the gap ends
  if (!scan.empty()) {
    auto since = Clock::now() - last_scan_;
    if (since >= kMinScanGap) {
      scan_and_enroll(snapshot, scan);
      changed = true;
    } else {
      soon = kMinScanGap - since;
    }
    retry = retry || std::any_of(scan.begin(), scan.end(),
                                 [&](const auto& uid) { return !registry_.enrolled(uid); });
  }
  if (soon) {
    schedule_retry(*soon);
  } else if (retry) {
    schedule_retry(retry_delay_);
    retry_delay_ = std::min<std::chrono::seconds>(retry_delay_ * 2, kMaxRetry);
  } else {
    retry_delay_ = kFirstRetry;
  }
  write_namespaces(snapshot);
  if (changed) save();
}

void NodeAgent::scan_and_enroll(const state::Snapshot& snapshot,
                                const std::vector<std::string>& uids) {
  last_scan_ = Clock::now();
  std::set<state::IpAddress> wanted;
  for (const auto& uid : uids)
    if (auto w = snapshot.workload_by_uid(uid))
      for (const auto& a : w->ips)
        if (a.is_v4()) wanted.insert(a);
  auto found = find_netns_by_ip(options_.scan, wanted);
  for (const auto& uid : uids) {
    auto w = snapshot.workload_by_uid(uid);
    if (!w) continue;
    for (const auto& a : w->ips) {
      auto it = found.find(a);
      if (it == found.end()) continue;
      auto& k = known_[uid];
      k.netns = it->second;
      k.container_id.clear();
      k.ips = {a.to_string()};
      k.seen = true;
      if (auto r = enroll_known(uid, UniqueFd()); !r)
        spdlog::warn("pod {}: found in {} by its IP {}, but enrolling failed: {}", uid, it->second,
                     a.to_string(), r.error().message);
      else
        spdlog::info("pod {} found running in {} (IP {}): enrolled", uid, it->second,
                     a.to_string());
      break;
    }
  }
}

void NodeAgent::schedule_retry(Clock::duration delay) {
  auto when = Clock::now() + delay;
  if (retry_armed_ && retry_.expiry() <= when) return;
  retry_armed_ = true;
  retry_.expires_at(when);  // an earlier wait, if any, ends with operation_aborted
  retry_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed or destroyed
    retry_armed_ = false;
    reconcile(*store_.current());
  });
}

json NodeAgent::cni_add(const json& request, UniqueFd netns) {
  auto uid = pod_of(request);
  auto ns = uid.substr(0, uid.find('/'));
  Known& k = known_[uid];
  std::string netns_path = request.value("netns", "");
  bool same_sandbox = k.netns == netns_path && registry_.enrolled(uid);
  k.netns = netns_path;
  k.container_id = request.value("containerId", "");
  k.ips = request.value("ips", std::vector<std::string>{});
  k.last_error.clear();
  auto snapshot = store_.current();
  auto w = snapshot->workload_by_uid(uid);
  if (!w) {
    save();
    spdlog::info("CNI ADD {} (netns {}): not in the config view yet; remembered", uid, netns_path);
    return control::ok_reply({{"mesh", nullptr},
                              {"enrolled", false},
                              {"namespaceAmbient", snapshot->namespace_ambient(ns)},
                              {"reason", "pod not in ztunnel's config view yet"}});
  }
  k.seen = true;
  if (!w->ambient) {
    if (registry_.enrolled(uid)) (void)registry_.unenroll(uid);
    k.enrolled = false;
    save();
    spdlog::info("CNI ADD {} (netns {}): not in the mesh ({})", uid, netns_path, w->mesh_reason);
    return control::ok_reply({{"mesh", false}, {"enrolled", false}, {"reason", w->mesh_reason}});
  }
  auto r = same_sandbox ? Result<void>() : enroll_known(uid, std::move(netns));
  save();
  if (!r) {
    spdlog::warn("CNI ADD {} (netns {}): in the mesh ({}) but enrolling failed: {}", uid,
                 netns_path, w->mesh_reason, r.error().message);
    return control::error_reply(r.error().message);
  }
  k.enrolled = true;
  spdlog::info("CNI ADD {} (netns {}): enrolled ({})", uid, netns_path, w->mesh_reason);
  return control::ok_reply({{"mesh", true}, {"enrolled", true}, {"reason", w->mesh_reason}});
}

json NodeAgent::cni_del(const json& request) {
  auto uid = pod_of(request);
  std::string container = request.value("containerId", "");
  std::string netns_path = request.value("netns", "");
  auto it = known_.find(uid);
  bool ours = false;
  if (it != known_.end()) {
    // A DEL for an older sandbox of the pod (after a retried ADD) leaves the new one alone.
    ours = container.empty() || it->second.container_id.empty()
               ? (netns_path.empty() || netns_path == it->second.netns)
               : container == it->second.container_id;
  }
  if (!ours) {
    spdlog::info("CNI DEL {} (container {}): no sandbox of it enrolled here", uid, container);
    return control::ok_reply({{"unenrolled", false}});
  }
  bool was = registry_.enrolled(uid);
  if (was) (void)registry_.unenroll(uid);
  known_.erase(it);
  save();
  spdlog::info("CNI DEL {} (container {}): {}", uid, container,
               was ? "unenrolled" : "forgot its sandbox");
  return control::ok_reply({{"unenrolled", was}});
}

json NodeAgent::cni_check(const json& request) {
  auto uid = pod_of(request);
  auto w = store_.current()->workload_by_uid(uid);
  if (!w) return control::ok_reply({{"mesh", nullptr}, {"reason", "pod not in the config view"}});
  if (w->ambient && !registry_.enrolled(uid)) {
    auto it = known_.find(uid);
    std::string why = it != known_.end() && !it->second.last_error.empty()
                          ? it->second.last_error
                          : "no sandbox of it is known";
    return control::error_reply("mesh pod " + uid + " is not enrolled: " + why);
  }
  return control::ok_reply(
      {{"mesh", w->ambient}, {"enrolled", registry_.enrolled(uid)}, {"reason", w->mesh_reason}});
}

Result<void> NodeAgent::enroll(const std::string& uid, const std::string& netns_path,
                               UniqueFd netns) {
  Known previous = known_.count(uid) ? known_[uid] : Known{};
  Known& k = known_[uid];
  k.netns = netns_path;
  k.container_id.clear();
  k.seen = true;
  auto r = enroll_known(uid, std::move(netns));
  if (!r && !previous.netns.empty()) k = previous;  // a failed manual enroll changes nothing
  if (!r && previous.netns.empty()) known_.erase(uid);
  save();
  return r;
}

Result<void> NodeAgent::unenroll(const std::string& uid) {
  auto r = registry_.unenroll(uid);
  known_.erase(uid);
  save();
  return r;
}

json NodeAgent::pods_json() const {
  auto snapshot = store_.current();
  auto out = json::array();
  std::set<std::string> listed;
  for (const auto& w : snapshot->workloads()) {
    auto k = known_.find(w->uid);
    if (w->node != options_.node && k == known_.end()) continue;
    PodFacts facts{w->uid, true, w->ambient, w->terminated, has_v4(*w), w->mesh_reason};
    SandboxFacts sandbox;
    if (k != known_.end())
      sandbox = {!k->second.netns.empty(), k->second.seen, k->second.last_error};
    bool enrolled = registry_.enrolled(w->uid);
    std::string ip;
    for (const auto& a : w->ips) ip += (ip.empty() ? "" : ",") + a.to_string();
    if (ip.empty() && k != known_.end())
      for (const auto& a : k->second.ips) ip += (ip.empty() ? "" : ",") + a;
    out.push_back({{"pod", w->uid},
                   {"enrolled", enrolled},
                   {"mesh", w->ambient},
                   {"reason", pod_status_reason(facts, k == known_.end() ? nullptr : &sandbox,
                                                enrolled, options_.discover)},
                   {"ip", ip},
                   {"netns", k != known_.end() ? k->second.netns : ""}});
    listed.insert(w->uid);
  }
  for (const auto& [uid, k] : known_) {
    if (listed.count(uid)) continue;
    std::string ip;
    for (const auto& a : k.ips) ip += (ip.empty() ? "" : ",") + a;
    out.push_back({{"pod", uid},
                   {"enrolled", registry_.enrolled(uid)},
                   {"mesh", nullptr},
                   {"reason", "sandbox reported by CNI; the pod is not in the config view yet"},
                   {"ip", ip},
                   {"netns", k.netns}});
  }
  return out;
}

void NodeAgent::write_namespaces(const state::Snapshot& snapshot) {
  json ambient = json::array();
  for (const auto& ns : snapshot.namespaces())
    if (ns.ambient()) ambient.push_back(ns.meta.name);
  std::string text = json{{"ambient", ambient}}.dump() + "\n";
  if (text == namespaces_written_) return;
  std::string path = options_.run_dir + "/cni-namespaces.json", tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) {
      spdlog::error("writing {}: failed", tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    spdlog::error("renaming {}: {}", tmp, std::strerror(errno));
    return;
  }
  namespaces_written_ = std::move(text);
}

void NodeAgent::save() const {
  Sandboxes out;
  for (const auto& [uid, k] : known_) {
    Sandbox s = k;
    s.enrolled = registry_.enrolled(uid);
    out[uid] = std::move(s);
  }
  if (auto r = save_enrollment_file(options_.run_dir + "/enrolled.json", out); !r)
    spdlog::error("saving enrollment state: {}", r.error().message);
}

}  // namespace zmesh::enroll
