// Subset membership: every subset label must be on the endpoint with the same value.
#include <gtest/gtest.h>

#include "upstream/subset.h"

namespace zmesh::upstream {
namespace {

TEST(Subset, LabelsMustAllMatch) {
  state::Labels v1 = {{"app", "reviews"}, {"version", "v1"}};
  EXPECT_TRUE(in_subset({{"version", "v1"}}, v1));
  EXPECT_TRUE(in_subset({{"version", "v1"}, {"app", "reviews"}}, v1));
  EXPECT_FALSE(in_subset({{"version", "v2"}}, v1));
  EXPECT_FALSE(in_subset({{"version", "v1"}, {"zone", "a"}}, v1));
  EXPECT_FALSE(in_subset({{"Version", "v1"}}, v1));
  EXPECT_TRUE(in_subset({}, v1));  // no labels: every endpoint
}

TEST(Subset, MembersAndLookup) {
  std::vector<state::Labels> endpoints = {
      {{"version", "v1"}}, {{"version", "v2"}}, {{"version", "v1"}, {"canary", "yes"}}, {}};
  EXPECT_EQ(subset_members({{"version", "v1"}}, endpoints), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(subset_members({{"canary", "yes"}}, endpoints), (std::vector<size_t>{2}));
  EXPECT_TRUE(subset_members({{"version", "v3"}}, endpoints).empty());

  state::DestinationRule rule;
  rule.subsets = {{"v1", {{"version", "v1"}}, std::nullopt}, {"v2", {{"version", "v2"}}, {}}};
  ASSERT_NE(find_subset(rule, "v2"), nullptr);
  EXPECT_EQ(find_subset(rule, "v2")->labels.at("version"), "v2");
  EXPECT_EQ(find_subset(rule, "v3"), nullptr);
}

}  // namespace
}  // namespace zmesh::upstream
