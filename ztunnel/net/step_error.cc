#include "net/step_error.h"

#include <boost/beast/core/error.hpp>
#include <string>

namespace zmesh {

Error step_error(const char* step, const boost::system::error_code& ec) {
  return make_error(std::string(step) + ": " +
                    (ec == boost::beast::error::timeout ? std::string("timed out") : ec.message()));
}

}  // namespace zmesh
