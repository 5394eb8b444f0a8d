#include "telemetry/trace_exporter.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "telemetry/otlp_proto.h"
#include "telemetry/zipkin_json.h"

namespace zmesh::telemetry {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// One POST, bounded by the sink's timeout. "" when the collector answered 2xx, else why not.
std::string post(const TraceSink& sink, std::string body, const char* content_type) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(sink.address, ec);
  if (ec) return "bad collector address " + sink.address;
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> request{http::verb::post, sink.path, 11};
  request.set(http::field::host, sink.authority);
  request.set(http::field::content_type, content_type);
  request.set(http::field::user_agent, "zmesh-ztunnel");
  for (const auto& [name, value] : sink.headers) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  boost::system::error_code result;
  stream.expires_after(sink.timeout);
  stream.async_connect(asio::ip::tcp::endpoint(address, sink.port), [&](auto e) {
    if (e) {
      result = e;
      return;
    }
    http::async_write(stream, request, [&](auto e, size_t) {
      if (e) {
        result = e;
        return;
      }
      http::async_read(stream, buffer, response, [&](auto e, size_t) { result = e; });
    });
  });
  io.run();
  if (result) return result.message();
  if (response.result_int() / 100 != 2)
    return "HTTP " + std::to_string(response.result_int()) + ": " + response.body().substr(0, 200);
  return "";
}

}  // namespace

struct TraceExporter::Impl {
  Options options;
  std::mutex mu;  // guards queue, sink, stop
  std::condition_variable wake;
  std::deque<Span> queue;
  std::optional<TraceSink> sink;
  bool stop = false;
  std::atomic<uint64_t> exported{0}, dropped{0};
  std::string last_error;  // touched by the thread only: log a changed reason once
  std::thread thread;

  void send(const TraceSink& to, std::vector<Span> batch) {
    std::string error;
    if (to.protocol == TraceSink::Protocol::kZipkin)
      error = post(to, encode_zipkin_json(batch), "application/json");
    else
      error = post(to, encode_otlp_traces(batch, "zmesh"), "application/x-protobuf");
    if (error.empty()) {
      exported += batch.size();
      if (!last_error.empty())
        spdlog::info("tracing: provider {} accepts spans again", to.provider);
      last_error.clear();
      return;
    }
    dropped += batch.size();
    if (error != last_error)
      spdlog::warn("tracing: provider {} ({}:{}) refused {} spans: {}", to.provider, to.address,
                   to.port, batch.size(), error);
    last_error = error;
  }

  void run() {
    std::unique_lock lock(mu);
    while (!stop) {
      wake.wait_for(lock, options.interval,
                    [&] { return stop || queue.size() >= options.max_batch; });
      if (stop) break;
      while (!queue.empty()) {
        size_t n = std::min(queue.size(), options.max_batch);
        std::vector<Span> batch(std::make_move_iterator(queue.begin()),
                                std::make_move_iterator(queue.begin() + static_cast<long>(n)));
        queue.erase(queue.begin(), queue.begin() + static_cast<long>(n));
        auto to = sink;
        lock.unlock();
        if (to)
          send(*to, std::move(batch));
        else
          dropped += batch.size();
        lock.lock();
        if (stop) break;
      }
    }
    dropped += queue.size();
    queue.clear();
  }
};

TraceExporter::TraceExporter(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

TraceExporter::~TraceExporter() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void TraceExporter::set_sink(std::optional<TraceSink> sink) {
  std::lock_guard lock(impl_->mu);
  if (impl_->sink != sink && sink)
    spdlog::info("tracing: exporting spans to provider {} at {}:{}{}", sink->provider,
                 sink->address, sink->port, sink->path);
  impl_->sink = std::move(sink);
}

void TraceExporter::submit(Span span) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->sink && impl_->queue.size() < impl_->options.max_queue) {
      impl_->queue.push_back(std::move(span));
      if (impl_->queue.size() < impl_->options.max_batch) return;
    } else {
      ++impl_->dropped;
      return;
    }
  }
  impl_->wake.notify_one();
}

uint64_t TraceExporter::exported() const {
  return impl_->exported.load();
}
uint64_t TraceExporter::dropped() const {
  return impl_->dropped.load();
}

std::string TraceExporter::render_prometheus() const {
  return "# HELP zmesh_trace_spans_exported_total Spans a trace collector accepted.\n"
         "# TYPE zmesh_trace_spans_exported_total counter\n"
         "zmesh_trace_spans_exported_total " +
         std::to_string(exported()) +
         "\n# HELP zmesh_trace_spans_dropped_total Spans dropped: queue full, no collector, or "
         "the collector failed or refused them.\n"
         "# TYPE zmesh_trace_spans_dropped_total counter\n"
         "zmesh_trace_spans_dropped_total " +
         std::to_string(dropped()) + "\n";
}

}  // namespace zmesh::telemetry
