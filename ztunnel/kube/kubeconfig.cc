#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "kube/base64.h"
#include "kube/text_file.h"

namespace zmesh::kube {
namespace {

namespace fs = std::filesystem;

// A kubeconfig's named entries: `clusters: [{name: x, cluster: {...}}]`.
YAML::Node find_named(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry.IsMap() && entry["name"] && entry["name"].as<std::string>("") == name)
      return entry[field];
  }
  return YAML::Node();
}

std::string text_of(const YAML::Node& map, const char* key) {
  if (!map.IsMap() || !map[key] || !map[key].IsScalar()) return "";
  return map[key].as<std::string>("");
}

// "<field>-data" (base64 inline) wins over "<field>" (a file), as in client-go.
Result<std::string> pem_field(const YAML::Node& map, const std::string& field, const fs::path& base,
                              const std::string& where) {
  std::string data = text_of(map, (field + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return make_error(where + "." + field + "-data: not base64");
    return *decoded;
  }
  std::string file = text_of(map, field.c_str());
  if (file.empty()) return std::string();
  fs::path p = fs::path(file).is_absolute() ? fs::path(file) : base / file;
  auto content = read_text_file(p.string());
  if (!content) return make_error(where + "." + field + ": " + content.error().message);
  return *content;
}

}  // namespace

Result<Credentials> parse_kubeconfig(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error("kubeconfig " + path + ": invalid YAML: " + e.msg);
  }
  auto fail = [&](const std::string& what) {
    return make_error("kubeconfig " + path + ": " + what);
  };
  if (!root.IsMap()) return fail("not a kubeconfig (expected a map)");
  std::string context_name = text_of(root, "current-context");
  if (context_name.empty()) return fail("no current-context");
  YAML::Node context = find_named(root["contexts"], context_name, "context");
  if (!context.IsMap()) return fail("context \"" + context_name + "\" not found");
  std::string cluster_name = text_of(context, "cluster");
  std::string user_name = text_of(context, "user");
  YAML::Node cluster = find_named(root["clusters"], cluster_name, "cluster");
  if (!cluster.IsMap()) return fail("cluster \"" + cluster_name + "\" not found");

  const fs::path base = fs::path(path).parent_path();
  Credentials c;
  c.origin = "kubeconfig " + path + " (context " + context_name + ")";
  c.server = text_of(cluster, "server");
  if (c.server.empty()) return fail("cluster \"" + cluster_name + "\" has no server");
  c.insecure_skip_tls_verify = text_of(cluster, "insecure-skip-tls-verify") == "true";
  auto ca = pem_field(cluster, "certificate-authority", base, "cluster " + cluster_name);
  if (!ca) return fail(ca.error().message);
  c.ca_pem = *ca;

  if (user_name.empty()) return c;  // anonymous
  YAML::Node user = find_named(root["users"], user_name, "user");
  if (!user.IsMap()) return fail("user \"" + user_name + "\" not found");
  for (const char* plugin : {"exec", "auth-provider"}) {
    if (user[plugin]) return fail("user \"" + user_name + "\": " + plugin + " is not supported");
  }
  const std::string where = "user " + user_name;
  auto cert = pem_field(user, "client-certificate", base, where);
  if (!cert) return fail(cert.error().message);
  auto key = pem_field(user, "client-key", base, where);
  if (!key) return fail(key.error().message);
  c.client_cert_pem = *cert;
  c.client_key_pem = *key;
  if (c.client_cert_pem.empty() != c.client_key_pem.empty())
    return fail(where + ": client-certificate and client-key go together");
  c.token = text_of(user, "token");
  std::string token_file = text_of(user, "tokenFile");
  if (!token_file.empty())
    c.token_file = fs::path(token_file).is_absolute() ? token_file : (base / token_file).string();
  return c;
}

Result<Credentials> load_kubeconfig(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return make_error("kubeconfig: " + text.error().message);
  return parse_kubeconfig(*text, path);
}

}  // namespace zmesh::kube
