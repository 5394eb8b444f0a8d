// After a re-LIST (410 Gone): what to decode again and which deletions to synthesise.
#include <gtest/gtest.h>

#include "kube/relist_diff.h"

namespace zmesh::kube {
namespace {

ApiObject object(std::string ns, std::string name, std::string rv) {
  return ApiObject{std::move(ns), std::move(name), std::move(rv), "{}"};
}

TEST(KubeRelistDiff, NewChangedUnchangedAndVanished) {
  std::map<std::string, std::string> cached = {
      {"a/same", "10"}, {"a/changed", "11"}, {"a/deleted-meanwhile", "12"}, {"cluster-wide", "1"}};
  std::vector<ApiObject> listed = {object("a", "same", "10"), object("a", "changed", "20"),
                                   object("b", "new", "21"), object("", "cluster-wide", "1")};
  RelistDiff diff = diff_relist(cached, listed);
  EXPECT_EQ(diff.upserts, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(diff.deletes, (std::vector<std::string>{"a/deleted-meanwhile"}));
}

TEST(KubeRelistDiff, EmptyCacheUpsertsAllAndEmptyListDeletesAll) {
  std::vector<ApiObject> listed = {object("a", "x", "1"), object("a", "y", "2")};
  EXPECT_EQ(diff_relist({}, listed).upserts, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(diff_relist({}, listed).deletes.empty());
  RelistDiff gone = diff_relist({{"a/x", "1"}, {"a/y", "2"}}, {});
  EXPECT_TRUE(gone.upserts.empty());
  EXPECT_EQ(gone.deletes, (std::vector<std::string>{"a/x", "a/y"}));
}

// resourceVersions are opaque: any difference is a change, even a "smaller" one (etcd restore).
TEST(KubeRelistDiff, ResourceVersionsComparedOnlyForEquality) {
  RelistDiff diff = diff_relist({{"a/x", "100"}}, {object("a", "x", "99")});
  EXPECT_EQ(diff.upserts, (std::vector<size_t>{0}));
}

}  // namespace
}  // namespace zmesh::kube
