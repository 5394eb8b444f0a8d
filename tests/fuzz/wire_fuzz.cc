// libFuzzer target for the bytes peers send before any config applies: the TLS ClientHello
// ztunnel peeks for tls[] routes (route/client_hello) and the HBONE CONNECT header block
// (hbone/connect_request). Neither may crash, hang or read out of bounds on any input, and the
// SNI reader must agree with itself on every prefix (a prefix never yields a different name).
//
// Input: the whole input is a ClientHello candidate; the same bytes split at '\n' into
// "name\0value" pairs form the CONNECT header block.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "hbone/connect_request.h"
#include "route/client_hello.h"

namespace {

using zmesh::route::ClientHelloSni;

void check_client_hello(std::span<const uint8_t> bytes) {
  auto whole = zmesh::route::parse_client_hello_sni(bytes);
  if (whole.state != ClientHelloSni::State::kDone) return;
  // Done on the whole input: every shorter prefix is "need more" or the same answer.
  for (size_t n : {bytes.size() / 2, bytes.size() - 1}) {
    if (n >= bytes.size()) continue;
    auto part = zmesh::route::parse_client_hello_sni(bytes.first(n));
    if (part.state == ClientHelloSni::State::kDone && part.server_name != whole.server_name)
      std::abort();
  }
}

void check_connect(std::string_view text) {
  zmesh::hbone::Headers headers;
  size_t pos = 0;
  while (pos <= text.size() && headers.size() < 64) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t nul = line.find('\0');
    if (nul == std::string_view::npos)
      headers.push_back({std::string(line), ""});
    else
      headers.push_back({std::string(line.substr(0, nul)), std::string(line.substr(nul + 1))});
    pos = end + 1;
  }
  auto parsed = zmesh::hbone::parse_connect_headers(headers);
  if (parsed) {
    // What was accepted builds back into a request that parses to the same target.
    auto again = zmesh::hbone::parse_connect_headers(zmesh::hbone::build_connect_headers(*parsed));
    if (!again || again->target != parsed->target) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_client_hello({data, size});
  check_connect({reinterpret_cast<const char*>(data), size});
  return 0;
}
