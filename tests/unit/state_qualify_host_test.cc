// Istio's short-name rule for VirtualService and DestinationRule hosts
// (ResolveShortnameToFQDN): one row per shape of host.
#include <gtest/gtest.h>

#include "state/qualify_host.h"

namespace zmesh::state {
namespace {

TEST(QualifyHost, ShortNamesAreServicesOfTheConfigsNamespace) {
  struct Row {
    const char* host;
    const char* qualified;
  };
  const Row rows[] = {
      {"reviews", "reviews.bookinfo.svc.cluster.local"},
      {"reviews.other", "reviews.other"},  // has a dot: taken as written
      {"reviews.other.svc.cluster.local", "reviews.other.svc.cluster.local"},
      {"*", "*"},  // the one wildcard without a dot
      {"*.shop.svc.cluster.local", "*.shop.svc.cluster.local"},
      {"*rev", "*rev.bookinfo.svc.cluster.local"},  // any other wildcard label is a short name
      {"example.com.", "example.com."},
  };
  for (const auto& r : rows) EXPECT_EQ(qualify_host(r.host, "bookinfo"), r.qualified) << r.host;
}

}  // namespace
}  // namespace zmesh::state
