#include "status_view.h"

#include "table.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

// Strings as they are, anything else as compact JSON; missing -> "-".
std::string text(const json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

json field(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return nullptr;
  for (const char* k : keys)
    if (auto it = j.find(k); it != j.end()) return *it;
  return nullptr;
}

std::string render_status(const json& s) {
  std::string out;
  auto line = [&](const std::string& label, const std::string& value) {
    out += label + std::string(label.size() < 14 ? 14 - label.size() : 1, ' ') + value + "\n";
  };
  line("node:", text(field(s, {"node"})));
  line("version:", text(field(s, {"version"})));
  const json uptime = field(s, {"uptimeSeconds", "uptime_seconds"});
  line("uptime:",
       uptime.is_number_unsigned() ? format_duration(uptime.get<uint64_t>()) : text(uptime));
  line("workers:", text(field(s, {"workers"})));
  if (const json ports = field(s, {"ports"}); ports.is_object()) {
    std::string list;
    for (const auto& [name, port] : ports.items())
      list += (list.empty() ? "" : ", ") + name + " " + text(port);
    line("ports:", list);
  }
  if (const json pins = field(s, {"bpfPinRoot", "bpf_pin_root"}); !pins.is_null()) {
    const json reused = field(s, {"bpfPinsReused", "bpf_pins_reused"});
    line("bpf pins:", text(pins) + (reused == true ? " (reused)" : ""));
  }
  if (const json dir = field(s, {"configDir", "config_dir"}); !dir.is_null())
    line("config dir:", text(dir));

  if (const json errors = field(s, {"configErrors", "config_errors"});
      errors.is_array() && !errors.empty()) {
    out += "\nconfig errors: " + std::to_string(errors.size()) + "\n";
    for (const auto& e : errors) out += "  " + text(e) + "\n";
  }

  const json pods = field(s, {"enrolled"});
  const size_t count = pods.is_array() ? pods.size() : 0;
  out += "\nenrolled pods: " + std::to_string(count) + "\n";
  if (count > 0) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : pods)
      rows.push_back({p.is_string() ? p.get<std::string>() : text(field(p, {"pod"})),
                      text(field(p, {"ip"})), text(field(p, {"netnsCookie", "netns_cookie"})),
                      text(field(p, {"netns"}))});
    out += render_table({"POD", "IP", "NETNS COOKIE", "NETNS"}, rows);
  }

  // Every pod of the node, enrolled or not, and why (the node agent's view).
  if (const json node_pods = field(s, {"pods"}); node_pods.is_array()) {
    out += "\npods on this node: " + std::to_string(node_pods.size()) + "\n";
    if (!node_pods.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : node_pods)
        rows.push_back({text(field(p, {"pod"})), field(p, {"enrolled"}) == true ? "yes" : "no",
                        text(field(p, {"ip"})), text(field(p, {"reason"}))});
      out += render_table({"POD", "ENROLLED", "IP", "REASON"}, rows);
    }
  }
  return out;
}

}  // namespace zmesh::zmeshctl
