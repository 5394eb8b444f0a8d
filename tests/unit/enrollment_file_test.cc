// The enrollment state file round-trips and tolerates a missing or corrupt file.
#include "enroll/enrollment_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace zmesh::enroll {
namespace {

std::string temp_path(const std::string& name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("zmesh-enroll-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

bool same(const Sandbox& a, const Sandbox& b) {
  return a.netns == b.netns && a.container_id == b.container_id && a.ips == b.ips &&
         a.enrolled == b.enrolled && a.seen == b.seen;
}

TEST(EnrollmentFileTest, RoundTrip) {
  auto path = temp_path("rt.json");
  Sandboxes pods{{"mesh/a", {"/run/netns/a", "c0ffee", {"10.244.0.11"}, true, true}},
                 {"mesh/b", {"/run/netns/b", "", {}, false, false}}};
  ASSERT_TRUE(save_enrollment_file(path, pods));
  auto loaded = load_enrollment_file(path);
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_TRUE(same(loaded->at("mesh/a"), pods.at("mesh/a")));
  EXPECT_TRUE(same(loaded->at("mesh/b"), pods.at("mesh/b")));
}

// An upgrade from a daemon that wrote only enrolled pods: they stay enrolled.
TEST(EnrollmentFileTest, EarlierFormatMeansEnrolled) {
  auto path = temp_path("old.json");
  std::ofstream(path) << R"({"pods":[{"pod":"mesh/a","netns":"/run/netns/a"}]})";
  auto loaded = load_enrollment_file(path);
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->count("mesh/a"), 1u);
  EXPECT_TRUE(loaded->at("mesh/a").enrolled);
  EXPECT_TRUE(loaded->at("mesh/a").seen);
  EXPECT_EQ(loaded->at("mesh/a").netns, "/run/netns/a");
}

TEST(EnrollmentFileTest, MissingFileIsEmpty) {
  auto loaded = load_enrollment_file(temp_path("does-not-exist.json"));
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->empty());
}

TEST(EnrollmentFileTest, CorruptFileIsAnErrorNamingThePath) {
  auto path = temp_path("corrupt.json");
  std::ofstream(path) << "{\"pods\": [ {\"pod\": 1";
  auto loaded = load_enrollment_file(path);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find(path), std::string::npos);
}

}  // namespace
}  // namespace zmesh::enroll
