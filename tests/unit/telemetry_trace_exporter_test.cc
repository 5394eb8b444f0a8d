// The span exporter (telemetry/trace_exporter.h) against a local HTTP collector: batches arrive
// as OTLP protobuf (decoded here field by field) or Zipkin JSON; a dead collector or no sink
// drops and counts; the counters render as Prometheus lines.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "telemetry/otlp_proto.h"
#include "telemetry/trace_exporter.h"

namespace zmesh::telemetry {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

// A collector on 127.0.0.1 that answers every POST with `status` and keeps the requests.
class Collector {
 public:
  explicit Collector(unsigned status)
      : status_(status), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~Collector() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(s, buffer, req, ec);
      if (ec) continue;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      http::response<http::string_body> res{static_cast<http::status>(status_), 11};
      res.body() = "{}";
      res.prepare_payload();
      http::write(s, res, ec);
    }
  }
  unsigned status_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

template <class F>
bool eventually(F f) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

Span make_span(std::string service, uint64_t id, SpanKind kind) {
  Span s;
  s.context.trace_id.fill(0xab);
  s.context.span_id = id;
  s.context.parent_span_id = 0x42;
  s.context.sampled = true;
  s.service_name = std::move(service);
  s.name = "products.ns.svc.cluster.local:9080/*";
  s.kind = kind;
  s.start_unix_ns = 1'700'000'000'000'000'000;
  s.end_unix_ns = s.start_unix_ns + 2'500'000;
  s.attributes = {{"http.method", "GET"}, {"http.status_code", "503"}};
  s.error = true;
  s.local_ip = "10.244.0.11";
  return s;
}

// A protobuf message as field number -> values (varints as numbers, the rest as bytes).
struct Fields {
  std::multimap<uint32_t, std::string> bytes;
  std::multimap<uint32_t, uint64_t> numbers;
};

Fields decode(std::string_view in) {
  Fields f;
  size_t i = 0;
  auto varint = [&] {
    uint64_t v = 0;
    for (int shift = 0; i < in.size(); shift += 7) {
      auto b = static_cast<uint8_t>(in[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  while (i < in.size()) {
    uint64_t key = varint();
    auto field = static_cast<uint32_t>(key >> 3);
    switch (key & 7) {
      case 0:
        f.numbers.emplace(field, varint());
        break;
      case 1:
        f.bytes.emplace(field, std::string(in.substr(i, 8)));
        i += 8;
        break;
      case 2: {
        auto n = varint();
        f.bytes.emplace(field, std::string(in.substr(i, n)));
        i += n;
        break;
      }
      case 5:
        f.bytes.emplace(field, std::string(in.substr(i, 4)));
        i += 4;
        break;
      default:
        ADD_FAILURE() << "wire type " << (key & 7);
        return f;
    }
  }
  return f;
}

std::string one(const Fields& f, uint32_t field) {
  auto it = f.bytes.find(field);
  return it == f.bytes.end() ? "" : it->second;
}

TEST(TraceExporter, OtlpProtobufLayout) {
  auto body = encode_otlp_traces(
      {make_span("a.ns", 1, SpanKind::kClient), make_span("b.ns", 2, SpanKind::kServer),
       make_span("a.ns", 3, SpanKind::kClient)},
      "zmesh");
  auto request = decode(body);
  ASSERT_EQ(request.bytes.count(1), 2u);  // one ResourceSpans per service
  auto first = decode(request.bytes.find(1)->second);
  auto resource = decode(one(first, 1));
  auto attr = decode(one(resource, 1));
  EXPECT_EQ(one(attr, 1), "service.name");
  EXPECT_EQ(one(decode(one(attr, 2)), 1), "a.ns");
  auto scope_spans = decode(one(first, 2));
  EXPECT_EQ(one(decode(one(scope_spans, 1)), 1), "zmesh");
  ASSERT_EQ(scope_spans.bytes.count(2), 2u);  // spans 1 and 3
  auto span = decode(scope_spans.bytes.find(2)->second);
  EXPECT_EQ(one(span, 1), std::string(16, '\xab'));
  EXPECT_EQ(one(span, 2), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(one(span, 4), std::string("\0\0\0\0\0\0\0\x42", 8));
  EXPECT_EQ(one(span, 5), "products.ns.svc.cluster.local:9080/*");
  EXPECT_EQ(span.numbers.find(6)->second, 3u);  // SPAN_KIND_CLIENT
  EXPECT_EQ(span.bytes.count(9), 3u);           // two attributes and error=true
  auto status = decode(one(span, 15));
  EXPECT_EQ(status.numbers.find(3)->second, 2u);  // STATUS_CODE_ERROR
  auto server = decode(
      decode(one(decode(std::next(request.bytes.find(1))->second), 2)).bytes.find(2)->second);
  EXPECT_EQ(server.numbers.find(6)->second, 2u);  // SPAN_KIND_SERVER
}

TEST(TraceExporter, SendsOtlpBatches) {
  Collector collector(200);
  TraceExporter exporter(
      {.max_queue = 100, .max_batch = 10, .interval = std::chrono::milliseconds(20)});
  exporter.set_sink(TraceSink{.protocol = TraceSink::Protocol::kOtlpHttp,
                              .provider = "otel",
                              .address = "127.0.0.1",
                              .port = collector.port(),
                              .authority = "otel.ns:4318",
                              .path = "/v1/traces",
                              .headers = {{"x-tenant", "t1"}}});
  for (uint64_t i = 1; i <= 25; ++i) exporter.submit(make_span("a.ns", i, SpanKind::kClient));
  ASSERT_TRUE(eventually([&] { return exporter.exported() == 25; })) << exporter.exported();
  EXPECT_EQ(exporter.dropped(), 0u);
  auto requests = collector.requests();
  ASSERT_GE(requests.size(), 3u);  // at most 10 per batch
  EXPECT_EQ(requests[0].target(), "/v1/traces");
  EXPECT_EQ(requests[0][http::field::content_type], "application/x-protobuf");
  EXPECT_EQ(requests[0][http::field::host], "otel.ns:4318");
  EXPECT_EQ(requests[0]["x-tenant"], "t1");
  EXPECT_NE(exporter.render_prometheus().find("zmesh_trace_spans_exported_total 25\n"),
            std::string::npos);
}

TEST(TraceExporter, SendsZipkinJson) {
  Collector collector(202);
  TraceExporter exporter({.interval = std::chrono::milliseconds(20)});
  exporter.set_sink(TraceSink{.protocol = TraceSink::Protocol::kZipkin,
                              .provider = "zipkin",
                              .address = "127.0.0.1",
                              .port = collector.port(),
                              .authority = "zipkin:9411",
                              .path = "/api/v2/spans"});
  exporter.submit(make_span("a.ns", 0x10, SpanKind::kServer));
  ASSERT_TRUE(eventually([&] { return exporter.exported() == 1; }));
  auto body = nlohmann::json::parse(collector.requests().at(0).body());
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0]["traceId"], "abababababababababababababababab");
  EXPECT_EQ(body[0]["id"], "0000000000000010");
  EXPECT_EQ(body[0]["parentId"], "0000000000000042");
  EXPECT_EQ(body[0]["kind"], "SERVER");
  EXPECT_EQ(body[0]["duration"], 2500);
  EXPECT_EQ(body[0]["timestamp"], 1'700'000'000'000'000);
  EXPECT_EQ(body[0]["localEndpoint"]["serviceName"], "a.ns");
  EXPECT_EQ(body[0]["localEndpoint"]["ipv4"], "10.244.0.11");
  EXPECT_EQ(body[0]["tags"]["error"], "true");
  EXPECT_EQ(body[0]["tags"]["http.method"], "GET");
}

TEST(TraceExporter, DropsAndCountsWithoutACollector) {
  TraceExporter none({.interval = std::chrono::milliseconds(20)});
  none.submit(make_span("a.ns", 1, SpanKind::kClient));
  EXPECT_EQ(none.dropped(), 1u);  // no sink: dropped at once

  // A refusing collector, and one that is not there: the batch is dropped, counted.
  Collector refusing(500);
  uint16_t dead_port;
  {
    Collector gone(200);
    dead_port = gone.port();
  }
  for (uint16_t port : {refusing.port(), dead_port}) {
    TraceExporter exporter({.interval = std::chrono::milliseconds(20)});
    exporter.set_sink(TraceSink{.provider = "otel",
                                .address = "127.0.0.1",
                                .port = port,
                                .authority = "x",
                                .path = "/v1/traces",
                                .timeout = std::chrono::milliseconds(500)});
    for (uint64_t i = 1; i <= 3; ++i) exporter.submit(make_span("a.ns", i, SpanKind::kClient));
    ASSERT_TRUE(eventually([&] { return exporter.dropped() == 3; })) << port;
    EXPECT_EQ(exporter.exported(), 0u);
  }
}

TEST(TraceExporter, FullQueueDropsInsteadOfBlocking) {
  // A collector that never answers holds the sender for its timeout; meanwhile the queue
  // fills and further spans are dropped at once.
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  TraceExporter exporter(
      {.max_queue = 5, .max_batch = 1, .interval = std::chrono::milliseconds(1)});
  exporter.set_sink(TraceSink{.provider = "otel",
                              .address = "127.0.0.1",
                              .port = silent.local_endpoint().port(),
                              .authority = "x",
                              .path = "/v1/traces",
                              .timeout = std::chrono::seconds(2)});
  for (uint64_t i = 1; i <= 100; ++i) exporter.submit(make_span("a.ns", i, SpanKind::kClient));
  // At most the one in flight and max_queue waiting are not yet counted.
  EXPECT_GE(exporter.dropped(), 100u - 1 - 5);
}

}  // namespace
}  // namespace zmesh::telemetry
