// A validated config object of any kind the mesh understands. Sources decode into it, the
// config store keeps one immutable copy per object, and snapshots share that copy (a
// snapshot never deep-copies what the store already holds).
#pragma once

#include <memory>
#include <variant>

#include "state/config_set.h"

namespace zmesh::state {

using Object = std::variant<Namespace, Pod, Service, EndpointSlice, ServiceAccount, VirtualService,
                            DestinationRule, PeerAuthentication, AuthorizationPolicy,
                            RequestAuthentication, ConfigMap>;

using ObjectPtr = std::shared_ptr<const Object>;

const ObjectMeta& meta_of(const Object& object);

// One object's change between two commits of the store: added (before null), updated, or
// deleted (after null). Both are of the same kind, namespace and name.
struct ObjectChange {
  ObjectPtr before;
  ObjectPtr after;
};

}  // namespace zmesh::state
