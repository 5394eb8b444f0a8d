// zmesh-cni install / uninstall on real files in a temporary directory standing in for a node's
// /opt/cni/bin and /etc/cni/net.d: the binary copied (0755), our entry chained last into the
// primary config (a conflist, a wrapped .conf, a stale entry replaced, broken files skipped), the
// mode kept, a second run changing nothing, uninstall restoring the list, and the ownership check
// that keeps a rolling update from uninstalling.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cni/installer.h"

namespace zmesh::cni {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kBridgePortmap = R"({
  "cniVersion": "1.0.0",
  "name": "k8s-pod-network",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
})";
const char* kSingleConf =
    R"({"cniVersion": "0.4.0", "name": "mynet", "type": "bridge", "bridge": "cni0"})";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text, fs::perms mode = fs::perms(0644)) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  fs::permissions(p, mode);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A fresh node: bin/, net.d/, run/ and a fake zmesh-cni binary to install.
class CniInstallerTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("zmesh-cni-installer-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    for (const char* d : {"bin", "net.d", "run", "src"}) fs::create_directories(root_ / d);
    spit(root_ / "src" / "zmesh-cni", "#!/bin/sh\necho fake zmesh-cni\n", fs::perms(0700));
    o_.bin_dir = (root_ / "bin").string();
    o_.conf_dir = (root_ / "net.d").string();
    o_.run_dir = "/var/run/zmesh-test";
    o_.binary = (root_ / "src" / "zmesh-cni").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path conf(const std::string& name) const { return root_ / "net.d" / name; }
  fs::path bin() const { return root_ / "bin" / "zmesh-cni"; }

  // name -> contents of every file in net.d (temporary files included: none may be left).
  std::map<std::string, std::string> net_d() const {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(root_ / "net.d"))
      files[e.path().filename().string()] = slurp(e.path());
    return files;
  }

  std::vector<std::string> install_ok() {
    auto r = install(o_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<std::string>{};
  }
  std::vector<std::string> uninstall_ok() {
    auto r = uninstall(o_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<std::string>{};
  }

  static bool all_unchanged(const std::vector<std::string>& lines) {
    for (const auto& l : lines)
      if (l.find("unchanged") == std::string::npos) return false;
    return !lines.empty();
  }

  const json kOurs = {{"type", "zmesh-cni"}, {"runDir", "/var/run/zmesh-test"}};
  fs::path root_;
  InstallOptions o_;
};

TEST_F(CniInstallerTest, ConflistWithBridgeAndPortmap) {
  spit(conf("10-k8s.conflist"), kBridgePortmap, fs::perms(0600));
  auto lines = install_ok();
  std::string text = joined(lines);
  EXPECT_NE(text.find("installed " + bin().string()), std::string::npos) << text;
  EXPECT_NE(text.find("added zmesh-cni (runDir /var/run/zmesh-test) as the last plugin of " +
                      conf("10-k8s.conflist").string()),
            std::string::npos)
      << text;

  EXPECT_EQ(slurp(bin()), slurp(root_ / "src" / "zmesh-cni"));
  EXPECT_EQ(fs::status(bin()).permissions(), fs::perms(0755));
  json want = json::parse(kBridgePortmap);
  want["plugins"].push_back(kOurs);
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), want);
  EXPECT_EQ(fs::status(conf("10-k8s.conflist")).permissions(), fs::perms(0600)) << "mode not kept";
  EXPECT_EQ(net_d().size(), 1u) << "a temporary file was left behind";

  // Again: nothing changes, and it says so; the file is not even rewritten.
  struct stat before {};
  ASSERT_EQ(::stat(conf("10-k8s.conflist").c_str(), &before), 0);
  lines = install_ok();
  EXPECT_TRUE(all_unchanged(lines)) << joined(lines);
  struct stat after {};
  ASSERT_EQ(::stat(conf("10-k8s.conflist").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);

  // Uninstall: the list as it was (as JSON), the binary gone; then again, changing nothing.
  lines = uninstall_ok();
  text = joined(lines);
  EXPECT_NE(text.find("removed the zmesh-cni entry from " + conf("10-k8s.conflist").string()),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("removed " + bin().string()), std::string::npos) << text;
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap));
  EXPECT_EQ(fs::status(conf("10-k8s.conflist")).permissions(), fs::perms(0600));
  EXPECT_FALSE(fs::exists(bin()));
  lines = uninstall_ok();
  EXPECT_TRUE(all_unchanged(lines)) << joined(lines);
}

TEST_F(CniInstallerTest, SingleConfIsWrappedIntoAConflist) {
  spit(conf("10-bridge.conf"), kSingleConf);
  auto lines = install_ok();
  EXPECT_NE(joined(lines).find("wrapped the single-plugin " + conf("10-bridge.conf").string() +
                               " into " + conf("10-bridge.conflist").string()),
            std::string::npos)
      << joined(lines);
  auto files = net_d();
  ASSERT_EQ(files.size(), 1u);
  ASSERT_TRUE(files.count("10-bridge.conflist"));
  json want = {{"name", "mynet"},
               {"cniVersion", "0.4.0"},
               {"plugins", json::array({json::parse(kSingleConf), kOurs})}};
  EXPECT_EQ(json::parse(files["10-bridge.conflist"]), want);
  EXPECT_TRUE(all_unchanged(install_ok()));

  // Uninstall leaves the list (the runtime loads it as it loaded the .conf).
  uninstall_ok();
  files = net_d();
  ASSERT_EQ(files.size(), 1u);
  want["plugins"] = json::array({json::parse(kSingleConf)});
  EXPECT_EQ(json::parse(files["10-bridge.conflist"]), want);
}

TEST_F(CniInstallerTest, ExistingEntryIsReplacedAndMovedLast) {
  json list = json::parse(kBridgePortmap);
  list["plugins"].insert(list["plugins"].begin() + 1,
                         json{{"type", "zmesh-cni"}, {"runDir", "/old/run"}});
  spit(conf("10-k8s.conflist"), list.dump(2));
  o_.exclude_namespaces = std::vector<std::string>{"kube-system", "infra"};
  auto lines = install_ok();
  EXPECT_NE(joined(lines).find("replaced the zmesh-cni entry of"), std::string::npos)
      << joined(lines);
  json want = json::parse(kBridgePortmap);
  json ours = kOurs;
  ours["excludeNamespaces"] = {"kube-system", "infra"};
  want["plugins"].push_back(ours);
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), want);
  uninstall_ok();
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap));
}

TEST_F(CniInstallerTest, UnparsableFilesAreSkippedAndLeftAlone) {
  spit(conf("00-broken.conflist"), "{\"plugins\": [");
  spit(conf("05-notes.txt"), "not a config");
  spit(conf("10-k8s.conflist"), kBridgePortmap);
  auto lines = install_ok();
  EXPECT_NE(joined(lines).find("skipped " + conf("00-broken.conflist").string()), std::string::npos)
      << joined(lines);
  EXPECT_EQ(slurp(conf("00-broken.conflist")), "{\"plugins\": [");
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist")))["plugins"].back(), kOurs);
  uninstall_ok();
  EXPECT_EQ(slurp(conf("00-broken.conflist")), "{\"plugins\": [");
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap));
}

TEST_F(CniInstallerTest, NoConfigIsAnErrorNamingTheDirectory) {
  struct Case {
    const char* name;
    std::map<std::string, std::string> files;  // in net.d; "-" = remove net.d itself
    const char* error_has;
  } cases[] = {
      {"empty", {}, "no CNI network configuration"},
      {"only_broken", {{"10-bad.conflist", "nope"}}, "skipped 10-bad.conflist"},
      {"only_other_files",
       {{"README", "x"}, {"10-k8s.conflist.bak", kBridgePortmap}},
       "no CNI network configuration"},
      {"missing_dir", {{"-", ""}}, "does not exist"},
  };
  for (const auto& c : cases) {
    fs::remove_all(root_ / "net.d");
    fs::create_directories(root_ / "net.d");
    for (const auto& [name, text] : c.files) {
      if (name == "-")
        fs::remove_all(root_ / "net.d");
      else
        spit(conf(name), text);
    }
    auto r = install(o_);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().message.find(o_.conf_dir), std::string::npos)
        << c.name << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(c.error_has), std::string::npos)
        << c.name << ": " << r.error().message;
  }
  // Uninstall with nothing to remove succeeds and says so.
  EXPECT_FALSE(joined(uninstall_ok()).empty());

  fs::remove_all(root_ / "bin");
  fs::create_directories(root_ / "net.d");
  spit(conf("10-k8s.conflist"), kBridgePortmap);
  auto r = install(o_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(o_.bin_dir), std::string::npos) << r.error().message;
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap))
      << "the conflist must not name a binary that was not installed";
}

TEST_F(CniInstallerTest, UninstallFindsTheEntryWhereverItIs) {
  // Installed into 10-k8s; later another network plugin wrote a config that sorts first.
  spit(conf("10-k8s.conflist"), kBridgePortmap);
  install_ok();
  spit(conf("05-other.conflist"), kBridgePortmap);
  json only_ours = {{"cniVersion", "1.0.0"}, {"name", "x"}, {"plugins", json::array({kOurs})}};
  spit(conf("90-only-ours.conflist"), only_ours.dump());
  auto lines = uninstall_ok();
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap));
  EXPECT_EQ(json::parse(slurp(conf("05-other.conflist"))), json::parse(kBridgePortmap));
  EXPECT_FALSE(fs::exists(conf("90-only-ours.conflist"))) << joined(lines);
}

TEST_F(CniInstallerTest, BinaryIsReplacedWhenItDiffers) {
  spit(conf("10-k8s.conflist"), kBridgePortmap);
  spit(bin(), "old binary", fs::perms(0755));
  EXPECT_NE(joined(install_ok()).find("installed " + bin().string()), std::string::npos);
  EXPECT_EQ(slurp(bin()), slurp(root_ / "src" / "zmesh-cni"));
  fs::permissions(bin(), fs::perms(0700));
  EXPECT_NE(joined(install_ok()).find("installed " + bin().string()), std::string::npos);
  EXPECT_EQ(fs::status(bin()).permissions(), fs::perms(0755));
}

TEST_F(CniInstallerTest, OwnerKeepsARollingUpdateFromUninstalling) {
  spit(conf("10-k8s.conflist"), kBridgePortmap);
  o_.run_dir = (root_ / "run").string();
  o_.owner = "uid-old";
  auto lines = install_ok();
  EXPECT_NE(joined(lines).find("recorded owner uid-old"), std::string::npos) << joined(lines);
  EXPECT_EQ(slurp(root_ / "run" / kOwnerFile), "uid-old\n");

  // The new pod (maxSurge) installs beside the old one, then the old one stops.
  o_.owner = "uid-new";
  install_ok();
  o_.owner = "uid-old";
  lines = uninstall_ok();
  ASSERT_EQ(lines.size(), 1u) << joined(lines);
  EXPECT_NE(lines[0].find("left zmesh-cni installed"), std::string::npos) << lines[0];
  EXPECT_TRUE(fs::exists(bin()));
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist")))["plugins"].back()["type"], "zmesh-cni");

  // The DaemonSet is deleted: the owner itself uninstalls.
  o_.owner = "uid-new";
  lines = uninstall_ok();
  EXPECT_EQ(json::parse(slurp(conf("10-k8s.conflist"))), json::parse(kBridgePortmap));
  EXPECT_FALSE(fs::exists(bin()));
  EXPECT_FALSE(fs::exists(root_ / "run" / kOwnerFile)) << joined(lines);
}

}  // namespace
}  // namespace zmesh::cni
