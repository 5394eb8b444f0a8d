#include "common/result.h"

#include <cstring>

namespace zmesh {

Error errno_error(const std::string& what, int err) {
  return Error{what + ": " + std::strerror(err)};
}

}  // namespace zmesh
