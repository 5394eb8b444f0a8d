// RFC 3339 as Kubernetes (Go's time.RFC3339) reads metadata.creationTimestamp.
#include <gtest/gtest.h>

#include "state/timestamp.h"

namespace zmesh::state {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

int64_t epoch_us(const std::string& text) {
  auto t = parse_rfc3339(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t ? t->time_since_epoch().count() : -1;
}

TEST(Rfc3339, Parses) {
  EXPECT_EQ(epoch_us("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(epoch_us("2024-05-01T12:00:00Z"), 1714564800LL * 1000000);
  EXPECT_EQ(epoch_us("2024-05-01T14:30:00+02:30"), 1714564800LL * 1000000);  // to UTC
  EXPECT_EQ(epoch_us("2024-05-01T07:00:00-05:00"), 1714564800LL * 1000000);
  EXPECT_EQ(epoch_us("2024-05-01T12:00:00.5Z"), 1714564800LL * 1000000 + 500000);
  EXPECT_EQ(epoch_us("2024-05-01T12:00:00,25Z"), 1714564800LL * 1000000 + 250000);
  EXPECT_EQ(epoch_us("2024-05-01T12:00:00.123456789Z"), 1714564800LL * 1000000 + 123456);
  EXPECT_EQ(epoch_us("2024-02-29T00:00:00Z"), 1709164800LL * 1000000);  // leap year
  EXPECT_LT(epoch_us("0001-01-01T00:00:00Z"), epoch_us("1677-01-01T00:00:00Z"));
  EXPECT_GT(epoch_us("9999-12-31T23:59:59Z"), epoch_us("2263-01-01T00:00:00Z"));
}

TEST(Rfc3339, Rejects) {
  for (const char* bad : {"",
                          "2024-05-01",
                          "2024-05-01 12:00:00Z",
                          "2024-05-01t12:00:00Z",
                          "2024-05-01T12:00:00",
                          "2024-05-01T12:00:00z",
                          "2024-5-01T12:00:00Z",
                          "2024-13-01T12:00:00Z",
                          "2023-02-29T12:00:00Z",
                          "2024-04-31T00:00:00Z",
                          "2024-05-01T24:00:00Z",
                          "2024-05-01T12:60:00Z",
                          "2024-05-01T12:00:60Z",
                          "2024-05-01T12:00:00.Z",
                          "2024-05-01T12:00:00+0200",
                          "2024-05-01T12:00:00+24:00",
                          "2024-05-01T12:00:00+02:60",
                          "2024-05-01T12:00:00Zjunk",
                          "yesterday",
                          "+2024-05-01T12:00:00Z"}) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
}

TEST(Rfc3339, Formats) {
  EXPECT_EQ(format_rfc3339(Timestamp{seconds{1714564800}}), "2024-05-01T12:00:00Z");
  EXPECT_EQ(format_rfc3339(Timestamp{seconds{1714564800} + microseconds{250000}}),
            "2024-05-01T12:00:00.25Z");
  for (const char* text :
       {"0001-01-01T00:00:00Z", "1969-12-31T23:59:59.000001Z", "9999-12-31T23:59:59.5Z"}) {
    auto t = parse_rfc3339(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(format_rfc3339(*t), text);
  }
}

}  // namespace
}  // namespace zmesh::state
