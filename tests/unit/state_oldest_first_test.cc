// "Oldest first", the order in which configs are considered where the oldest wins (a host's
// VirtualService and DestinationRule, PeerAuthentication levels, AuthorizationPolicies): one
// row per ordering rule, each sorted from every starting order.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/destination_rule.h"
#include "state/oldest_first.h"

namespace zmesh::state {
namespace {

struct Meta {
  std::string ns;
  std::string name;
  std::optional<int64_t> created;  // seconds since the epoch; nullopt: no creationTimestamp
};

ObjectMeta make(const Meta& m) {
  ObjectMeta meta;
  meta.namespace_ = m.ns;
  meta.name = m.name;
  if (m.created) meta.creation_timestamp = Timestamp{std::chrono::seconds{*m.created}};
  return meta;
}

struct Case {
  const char* rule;
  std::vector<Meta> expected;  // oldest first
};

const Case kCases[] = {
    {"the older creationTimestamp first, whatever the names", {{"a", "z", 100}, {"a", "a", 200}}},
    {"across namespaces too", {{"zz", "zz", 100}, {"aa", "aa", 200}}},
    {"no creationTimestamp before any time (Go's zero time)",
     {{"z", "z", std::nullopt}, {"a", "a", 0}, {"a", "a", 100}}},
    {"a time before the epoch is still after none", {{"b", "b", std::nullopt}, {"a", "a", -5}}},
    {"same time: namespace first", {{"a", "z", 100}, {"b", "a", 100}}},
    {"same time and namespace: name", {{"ns", "a", 100}, {"ns", "b", 100}}},
    {"neither has a time: namespace, then name",
     {{"a", "y", std::nullopt}, {"b", "x", std::nullopt}, {"b", "y", std::nullopt}}},
    {"all rules at once",
     {{"b", "b", std::nullopt},
      {"a", "z", 50},
      {"a", "a", 100},
      {"a", "b", 100},
      {"b", "a", 100},
      {"a", "a", 200}}},
};

std::vector<std::string> names(const std::vector<std::shared_ptr<const DestinationRule>>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) out.push_back(r->meta.namespace_ + "/" + r->meta.name);
  return out;
}

TEST(OldestFirst, OrdersByCreationTimeThenNamespaceThenName) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.rule);
    std::vector<std::shared_ptr<const DestinationRule>> expected;
    for (const auto& m : c.expected) {
      auto dr = std::make_shared<DestinationRule>();
      dr->meta = make(m);
      expected.push_back(std::move(dr));
    }
    for (size_t i = 0; i + 1 < expected.size(); ++i) {
      EXPECT_TRUE(older(expected[i]->meta, expected[i + 1]->meta)) << i;
      EXPECT_FALSE(older(expected[i + 1]->meta, expected[i]->meta)) << i;
    }
    // Every starting order sorts to the same list (the input order never decides).
    auto input = expected;
    std::sort(input.begin(), input.end());  // by pointer: a start that is not the answer
    do {
      auto sorted = input;
      sort_oldest_first(sorted);
      ASSERT_EQ(names(sorted), names(expected));
    } while (std::next_permutation(input.begin(), input.end()));
  }
}

TEST(OldestFirst, AnObjectIsNotOlderThanItself) {
  ObjectMeta m = make({"ns", "a", 100});
  EXPECT_FALSE(older(m, m));
  ObjectMeta none = make({"ns", "a", std::nullopt});
  EXPECT_FALSE(older(none, none));
}

TEST(OldestFirst, SortsRawPointersToo) {
  std::vector<ObjectMeta> metas = {make({"b", "a", 100}), make({"a", "b", 100}),
                                   make({"c", "c", std::nullopt})};
  struct Holder {
    ObjectMeta meta;
  };
  std::vector<Holder> holders;
  for (const auto& m : metas) holders.push_back({m});
  std::vector<const Holder*> ptrs;
  for (const auto& h : holders) ptrs.push_back(&h);
  sort_oldest_first(ptrs);
  EXPECT_EQ(ptrs[0]->meta.name, "c");
  EXPECT_EQ(ptrs[1]->meta.namespace_, "a");
  EXPECT_EQ(ptrs[2]->meta.namespace_, "b");
}

}  // namespace
}  // namespace zmesh::state
