// DestinationRule's trafficPolicy (used at the top level and in each subset).
#pragma once

#include "config/field_reader.h"
#include "state/traffic_policy.h"

namespace zmesh::config {

state::TrafficPolicy decode_traffic_policy(const FieldReader& field);

}  // namespace zmesh::config
