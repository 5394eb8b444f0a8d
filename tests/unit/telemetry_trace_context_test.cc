// Trace context propagation (telemetry/trace_context.h) as tables: which parent each header set
// gives, the sampling decision, the headers sent on, x-request-id.
#include <gtest/gtest.h>

#include <map>

#include "telemetry/trace_context.h"

namespace zmesh::telemetry {
namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpan = "00f067aa0ba902b7";

struct ExtractCase {
  std::string name;
  TraceHeaders headers;
  bool has_parent;
  std::string trace_id, span_id;  // hex, when has_parent
  std::optional<bool> sampled;    // the parent's (or the lone decision's)
  ParentContext::Format format = ParentContext::Format::kW3c;
};

TEST(TraceContext, ExtractTable) {
  std::string tp = std::string("00-") + kTrace + "-" + kSpan + "-01";
  std::string tp_unsampled = std::string("00-") + kTrace + "-" + kSpan + "-00";
  std::string tp_upper =
      std::string("00-") + "4BF92F3577B34DA6A3CE929D0E0E4736" + "-" + kSpan + "-01";
  std::string tp_zero = std::string("00-") + std::string(32, '0') + "-" + kSpan + "-01";
  std::string tp_zero_span = std::string("00-") + kTrace + "-" + std::string(16, '0') + "-01";
  std::string tp_ff = std::string("ff-") + kTrace + "-" + kSpan + "-01";
  std::string tp_future = std::string("01-") + kTrace + "-" + kSpan + "-01-extra";
  std::string tp_future_bad = std::string("01-") + kTrace + "-" + kSpan + "-01extra";
  std::string tp_00_long = tp + "-x";
  std::string b3 = std::string(kTrace) + "-" + kSpan + "-1";
  std::string b3_debug = std::string(kTrace) + "-" + kSpan + "-d-0000000000000001";
  std::string b3_nodecision = std::string(kTrace) + "-" + kSpan;
  std::string b3_64 = std::string("a3ce929d0e0e4736") + "-" + kSpan + "-0";
  std::string b3_bad = std::string(kTrace) + "-" + kSpan + "-x";
  std::vector<ExtractCase> cases = {
      {"no headers", {}, false, "", "", std::nullopt},
      {"traceparent sampled", {.traceparent = tp}, true, kTrace, kSpan, true},
      {"traceparent unsampled", {.traceparent = tp_unsampled}, true, kTrace, kSpan, false},
      {"uppercase traceparent is invalid", {.traceparent = tp_upper}, false, "", "", std::nullopt},
      {"all-zero trace id", {.traceparent = tp_zero}, false, "", "", std::nullopt},
      {"all-zero span id", {.traceparent = tp_zero_span}, false, "", "", std::nullopt},
      {"version ff", {.traceparent = tp_ff}, false, "", "", std::nullopt},
      {"later version with more fields", {.traceparent = tp_future}, true, kTrace, kSpan, true},
      {"later version, no dash", {.traceparent = tp_future_bad}, false, "", "", std::nullopt},
      {"version 00 too long", {.traceparent = tp_00_long}, false, "", "", std::nullopt},
      {"traceparent wins over b3", {.traceparent = tp, .b3 = b3_64}, true, kTrace, kSpan, true},
      {"bad traceparent falls back to b3",
       {.traceparent = "garbage", .b3 = b3},
       true,
       kTrace,
       kSpan,
       true,
       ParentContext::Format::kB3Single},
      {"b3 single debug with parent",
       {.b3 = b3_debug},
       true,
       kTrace,
       kSpan,
       true,
       ParentContext::Format::kB3Single},
      {"b3 single without decision",
       {.b3 = b3_nodecision},
       true,
       kTrace,
       kSpan,
       std::nullopt,
       ParentContext::Format::kB3Single},
      {"b3 single 64-bit trace id",
       {.b3 = b3_64},
       true,
       "0000000000000000a3ce929d0e0e4736",
       kSpan,
       false,
       ParentContext::Format::kB3Single},
      {"b3 single bad decision", {.b3 = b3_bad}, false, "", "", std::nullopt},
      {"b3 lone decision 0", {.b3 = "0"}, false, "", "", false},
      {"b3 lone decision d", {.b3 = "d"}, false, "", "", true},
      {"x-b3 multi",
       {.x_b3_traceid = kTrace, .x_b3_spanid = kSpan, .x_b3_sampled = "1"},
       true,
       kTrace,
       kSpan,
       true,
       ParentContext::Format::kB3Multi},
      {"x-b3 multi, sampled true",
       {.x_b3_traceid = kTrace, .x_b3_spanid = kSpan, .x_b3_sampled = "true"},
       true,
       kTrace,
       kSpan,
       true,
       ParentContext::Format::kB3Multi},
      {"x-b3 multi, debug flag",
       {.x_b3_traceid = kTrace, .x_b3_spanid = kSpan, .x_b3_flags = "1"},
       true,
       kTrace,
       kSpan,
       true,
       ParentContext::Format::kB3Multi},
      {"x-b3 multi, uppercase hex accepted",
       {.x_b3_traceid = "4BF92F3577B34DA6A3CE929D0E0E4736", .x_b3_spanid = "00F067AA0BA902B7"},
       true,
       kTrace,
       kSpan,
       std::nullopt,
       ParentContext::Format::kB3Multi},
      {"x-b3 missing span id", {.x_b3_traceid = kTrace, .x_b3_sampled = "1"}, false, "", "", true},
      {"lone x-b3-sampled 0", {.x_b3_sampled = "0"}, false, "", "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = extract_parent(c.headers);
    ASSERT_EQ(p.has_value(), c.has_parent);
    if (p) {
      EXPECT_EQ(to_hex(p->trace_id), c.trace_id);
      EXPECT_EQ(to_hex(p->span_id), c.span_id);
      EXPECT_EQ(p->sampled, c.sampled);
      EXPECT_EQ(p->format, c.format);
    } else {
      EXPECT_EQ(decision_only(c.headers), c.sampled);
    }
  }
}

TEST(TraceContext, TracestateTravelsWithTraceparent) {
  std::string tp = std::string("00-") + kTrace + "-" + kSpan + "-01";
  auto p = extract_parent({.traceparent = tp, .tracestate = "congo=t61rcWkgMzE"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->tracestate, "congo=t61rcWkgMzE");
  auto span = start_span(p, true, {}, 0x1234);
  auto headers = propagation_headers(span, false);
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  EXPECT_EQ(h["tracestate"], "congo=t61rcWkgMzE");
}

TEST(TraceContext, SamplingTable) {
  struct Case {
    std::optional<bool> incoming;
    double percent;
    uint64_t random;
    bool want;
  };
  const uint64_t max = ~0ull;
  std::vector<Case> cases = {
      {true, 0, 0, true},              // parent-based: kept even at 0%
      {false, 100, 0, false},          // ... and at 100%
      {std::nullopt, 0, 0, false},     // 0%: never
      {std::nullopt, 100, max, true},  // 100%: always
      {std::nullopt, 1, 0, true},      // the lowest draw is in the 1%
      {std::nullopt, 1, max / 100 - (max / 10000), true},
      {std::nullopt, 1, max / 100 + (max / 10000), false},
      {std::nullopt, 50, max / 2 - 1, true},
      {std::nullopt, 50, max / 2 + (max / 10000), false},
      {std::nullopt, 0.01, 0, true},  // Istio's finest step
      {std::nullopt, 0.01, max / 5000, false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& c = cases[i];
    EXPECT_EQ(decide_sampled(c.incoming, c.percent, c.random), c.want);
  }
}

TEST(TraceContext, SamplingRateIsThePercentage) {
  // Over a spread of draws, the sampled share is the percentage.
  for (double percent : {1.0, 10.0, 37.5}) {
    int sampled = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
      uint64_t r = static_cast<uint64_t>(i) * (~0ull / n);
      sampled += decide_sampled(std::nullopt, percent, r) ? 1 : 0;
    }
    EXPECT_NEAR(sampled * 100.0 / n, percent, 0.01) << percent;
  }
}

TEST(TraceContext, ChildSpanHeaders) {
  std::string tp = std::string("00-") + kTrace + "-" + kSpan + "-01";
  auto p = extract_parent({.traceparent = tp});
  auto span = start_span(p, true, {}, 0xabcdef0123456789ull);
  EXPECT_EQ(to_hex(span.trace_id), kTrace);
  EXPECT_EQ(to_hex(span.parent_span_id), kSpan);
  auto headers = propagation_headers(span, true);
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  EXPECT_EQ(h["traceparent"], std::string("00-") + kTrace + "-abcdef0123456789-01");
  EXPECT_EQ(h["x-b3-traceid"], kTrace);
  EXPECT_EQ(h["x-b3-spanid"], "abcdef0123456789");
  EXPECT_EQ(h["x-b3-parentspanid"], kSpan);
  EXPECT_EQ(h["x-b3-sampled"], "1");
  EXPECT_EQ(h["b3"], std::string(kTrace) + "-abcdef0123456789-1-" + kSpan);
  EXPECT_EQ(h.count("tracestate"), 0u);
}

TEST(TraceContext, RootSpanHeaders) {
  TraceId fresh{};
  fresh[0] = 0x11;
  fresh[15] = 0x22;
  auto span = start_span(std::nullopt, false, fresh, 7);
  EXPECT_EQ(span.parent_span_id, 0u);
  auto headers = propagation_headers(span, false);
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  EXPECT_EQ(h["traceparent"], "00-11000000000000000000000000000022-0000000000000007-00");
  EXPECT_EQ(h.count("x-b3-parentspanid"), 0u);
  EXPECT_EQ(h.count("b3"), 0u);
  EXPECT_EQ(h["x-b3-sampled"], "0");
  // Ids are never invalid, even from unlucky random numbers.
  auto zero = start_span(std::nullopt, true, TraceId{}, 0);
  EXPECT_TRUE(parse_trace_id(to_hex(zero.trace_id)));
  EXPECT_NE(zero.span_id, 0u);
}

TEST(TraceContext, RequestId) {
  EXPECT_EQ(request_id("given-id", 1, 2), "given-id");
  auto id = request_id({}, 0x0123456789abcdefull, 0xfedcba9876543210ull);
  EXPECT_EQ(id, "01234567-89ab-4def-bedc-ba9876543210");
  auto zeros = request_id({}, 0, 0);
  EXPECT_EQ(zeros, "00000000-0000-4000-8000-000000000000");
  for (uint64_t lo : {0ull, ~0ull, 0x4000000000000000ull}) {
    auto v = request_id({}, ~0ull, lo);
    ASSERT_EQ(v.size(), 36u);
    EXPECT_EQ(v[14], '4');                                               // version 4
    EXPECT_NE(std::string("89ab").find(v[19]), std::string::npos) << v;  // variant 10xx
  }
}

}  // namespace
}  // namespace zmesh::telemetry
