#include "kube/text_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace zmesh::kube {

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return errno_error(path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1u << 20)) return make_error(path + ": larger than 1 MiB");
  return text.str();
}

}  // namespace zmesh::kube
