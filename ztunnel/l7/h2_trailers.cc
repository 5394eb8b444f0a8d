#include "l7/h2_trailers.h"

#include <algorithm>
#include <string>
#include <vector>

namespace zmesh::l7 {

void submit_trailers_at_eof(nghttp2_session* ng, int32_t stream_id,
                            const route::HeaderList& trailers, uint32_t* flags) {
  if (trailers.empty()) return;
  std::vector<std::string> names;
  std::vector<nghttp2_nv> nvs;
  names.reserve(trailers.size());
  for (const auto& f : trailers.fields()) {
    std::string name = f.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    names.push_back(std::move(name));
    nvs.push_back({reinterpret_cast<uint8_t*>(names.back().data()),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(f.value.data())),
                   names.back().size(), f.value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  if (nghttp2_submit_trailer(ng, stream_id, nvs.data(), nvs.size()) == 0)
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

}  // namespace zmesh::l7
