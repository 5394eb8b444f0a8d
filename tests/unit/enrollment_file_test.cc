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

TEST(EnrollmentFileTest, RoundTrip) {
  auto path = temp_path("rt.json");
  EnrolledPaths pods{{"mesh/a", "/run/netns/a"}, {"mesh/b", "/run/netns/b"}};
  ASSERT_TRUE(save_enrollment_file(path, pods));
  auto loaded = load_enrollment_file(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, pods);
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
