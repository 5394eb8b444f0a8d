// DirectorySource end to end on a temp dir: initial load, inotify hot reload, last-good.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "config/directory_source.h"

namespace zmesh::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "zmesh-dirsrc-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string pod(const std::string& name, const std::string& ip) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
         ", namespace: ns, labels: {app: web}}\nstatus: {podIP: \"" + ip + "\"}\n---\n";
}

const std::string kService =
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ns}\n"
    "spec: {clusterIP: 10.96.0.1, selector: {app: web}, ports: [{port: 80}]}\n";

class DirectorySourceTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(fs::path(dir_.path()) / name) << text;
  }

  void start() {
    source_ = std::make_unique<DirectorySource>(io_, dir_.path(), [this](auto snapshot) {
      latest_ = std::move(snapshot);
      ++count_;
    });
    auto started = source_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  // Runs the io_context until the next snapshot arrives (or fails after 3 s).
  void wait_for_snapshot() {
    int target = count_ + 1;
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (count_ < target && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
    ASSERT_GE(count_, target) << "no snapshot after a change";
  }

  std::string ip_of(const std::string& uid) const {
    auto w = latest_->workload_by_uid(uid);
    return w ? w->ips.at(0).to_string() : "";
  }

  TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<DirectorySource> source_;
  std::shared_ptr<const state::Snapshot> latest_;
  int count_ = 0;
};

TEST_F(DirectorySourceTest, InitialLoadIgnoresNonConfigFiles) {
  write("pods.yaml", pod("p1", "10.0.0.1"));
  write("svc.yml", kService);
  write(".hidden.yaml", pod("hidden", "10.0.0.8"));
  write("notes.txt", pod("txt", "10.0.0.9"));
  write("pods.yaml~", pod("backup", "10.0.0.7"));
  start();
  ASSERT_EQ(count_, 1);  // start() publishes synchronously
  EXPECT_EQ(latest_->workloads().size(), 1u);
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");
  ASSERT_EQ(latest_->services().size(), 1u);
  EXPECT_EQ(latest_->services()[0]->endpoints.size(), 1u);
  EXPECT_TRUE(source_->errors().empty());
}

TEST_F(DirectorySourceTest, InvalidUpdateKeepsLastGoodAndDeletionsApply) {
  write("pods.yaml", pod("p1", "10.0.0.1") + pod("p2", "10.0.0.2"));
  start();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");

  // p1 becomes invalid, p2 changes: p1's previous version keeps serving.
  write("pods.yaml", pod("p1", "10.0.0.x") + pod("p2", "10.0.0.22"));
  wait_for_snapshot();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");
  EXPECT_EQ(ip_of("ns/p2"), "10.0.0.22");
  ASSERT_EQ(source_->errors().size(), 1u);
  EXPECT_EQ(source_->errors()[0],
            "pods.yaml: Pod ns/p1: status.podIP: \"10.0.0.x\" is not an IP address");

  // p1 removed from a valid file: gone, and its error with it.
  write("pods.yaml", pod("p2", "10.0.0.22"));
  wait_for_snapshot();
  EXPECT_EQ(latest_->workload_by_uid("ns/p1"), nullptr);
  EXPECT_EQ(ip_of("ns/p2"), "10.0.0.22");
  EXPECT_TRUE(source_->errors().empty());

  // The file deleted: everything it defined is gone.
  fs::remove(fs::path(dir_.path()) / "pods.yaml");
  wait_for_snapshot();
  EXPECT_TRUE(latest_->workloads().empty());
}

TEST_F(DirectorySourceTest, UnparsableFileKeepsItsObjects) {
  write("pods.yaml", pod("p1", "10.0.0.1"));
  start();
  write("pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
  wait_for_snapshot();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");
  ASSERT_EQ(source_->errors().size(), 1u);
  EXPECT_EQ(source_->errors()[0].rfind("pods.yaml: line ", 0), 0u) << source_->errors()[0];
}

TEST_F(DirectorySourceTest, AtomicRenameAndNewFilesAreSeen) {
  start();
  EXPECT_TRUE(latest_->workloads().empty());
  // Tools write a dotfile, then rename it into place (IN_MOVED_TO).
  write(".pods.yaml.tmp", pod("p1", "10.0.0.1"));
  fs::rename(fs::path(dir_.path()) / ".pods.yaml.tmp", fs::path(dir_.path()) / "pods.yaml");
  wait_for_snapshot();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");

  write("svc.yaml", kService);
  wait_for_snapshot();
  ASSERT_EQ(latest_->services().size(), 1u);

  // Moving a file out of the directory (IN_MOVED_FROM) deletes its objects.
  fs::rename(fs::path(dir_.path()) / "svc.yaml", fs::path(dir_.path()) / "svc.yaml.off");
  wait_for_snapshot();
  EXPECT_TRUE(latest_->services().empty());
}

TEST_F(DirectorySourceTest, SymlinksAndConfigMapSwapsAreFollowed) {
  // A Kubernetes ConfigMap volume: pods.yaml -> ..data/pods.yaml, ..data -> ..v1.
  fs::path dir = dir_.path();
  fs::create_directory(dir / "..v1");
  std::ofstream(dir / "..v1" / "pods.yaml") << pod("p1", "10.0.0.1");
  fs::create_directory_symlink("..v1", dir / "..data");
  start();
  EXPECT_TRUE(latest_->workloads().empty());

  fs::create_symlink("..data/pods.yaml", dir / "pods.yaml");  // IN_CREATE of a symlink
  wait_for_snapshot();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.1");

  // The update: a new version dir, then ..data swapped by rename (IN_MOVED_TO "..data").
  fs::create_directory(dir / "..v2");
  std::ofstream(dir / "..v2" / "pods.yaml") << pod("p1", "10.0.0.2");
  fs::create_directory_symlink("..v2", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  wait_for_snapshot();
  EXPECT_EQ(ip_of("ns/p1"), "10.0.0.2");
}

TEST_F(DirectorySourceTest, EditorTempFilesDoNotReload) {
  start();
  write(".pods.yaml.swp", "junk");
  write("#pods.yaml#", "junk");
  io_.run_for(100ms);
  EXPECT_EQ(count_, 1);
}

TEST(DirectorySource, RootNamespaceReachesTheSnapshot) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::ofstream(fs::path(dir.path()) / "pa.yaml")
      << "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
         "metadata: {name: default, namespace: mesh-root}\nspec: {mtls: {mode: STRICT}}\n";
  boost::asio::io_context io;
  std::shared_ptr<const state::Snapshot> latest;
  DirectorySource source(io, dir.path(), "mesh-root",
                         [&](auto snapshot) { latest = std::move(snapshot); });
  ASSERT_TRUE(source.start().ok());
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->root_namespace(), "mesh-root");
  state::Workload w;
  w.namespace_ = "shop";
  EXPECT_EQ(latest->mtls_mode(w, 80), state::MtlsMode::kStrict);
}

TEST(DirectorySource, StartFailsOnMissingDirectory) {
  boost::asio::io_context io;
  DirectorySource source(io, "/nonexistent/zmesh-config", [](auto) {});
  auto started = source.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("/nonexistent/zmesh-config"), std::string::npos);
}

}  // namespace
}  // namespace zmesh::config
