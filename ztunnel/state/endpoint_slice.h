// discovery.k8s.io/v1 EndpointSlice, as written.
// Every field of the API is kept, typed, whether or not the data path uses it yet.
#pragma once

#include <nlohmann/json.hpp>

#include "state/istio_common.h"
#include "state/model.h"

namespace zmesh::state {

struct EndpointSlice {
  ObjectMeta meta;
};

// The object as config_dump shows it.
void to_json(nlohmann::json& j, const EndpointSlice& object);

}  // namespace zmesh::state
