// Every validated object a source serves, by kind: what a Snapshot is compiled from.
#pragma once

#include <vector>

#include "state/authorization_policy.h"
#include "state/destination_rule.h"
#include "state/endpoint_slice.h"
#include "state/mesh_config.h"
#include "state/model.h"
#include "state/request_authentication.h"
#include "state/virtual_service.h"

namespace zmesh::state {

struct ConfigSet {
  std::vector<Namespace> namespaces;
  std::vector<Pod> pods;
  std::vector<Service> services;
  std::vector<EndpointSlice> endpoint_slices;
  std::vector<ServiceAccount> service_accounts;
  std::vector<VirtualService> virtual_services;
  std::vector<DestinationRule> destination_rules;
  std::vector<PeerAuthentication> peer_authentications;
  std::vector<AuthorizationPolicy> authorization_policies;
  std::vector<RequestAuthentication> request_authentications;
  std::vector<ConfigMap> config_maps;  // only the root namespace's `istio` one matters

  void add(Namespace o) { namespaces.push_back(std::move(o)); }
  void add(Pod o) { pods.push_back(std::move(o)); }
  void add(Service o) { services.push_back(std::move(o)); }
  void add(EndpointSlice o) { endpoint_slices.push_back(std::move(o)); }
  void add(ServiceAccount o) { service_accounts.push_back(std::move(o)); }
  void add(VirtualService o) { virtual_services.push_back(std::move(o)); }
  void add(DestinationRule o) { destination_rules.push_back(std::move(o)); }
  void add(PeerAuthentication o) { peer_authentications.push_back(std::move(o)); }
  void add(AuthorizationPolicy o) { authorization_policies.push_back(std::move(o)); }
  void add(RequestAuthentication o) { request_authentications.push_back(std::move(o)); }
  void add(ConfigMap o) { config_maps.push_back(std::move(o)); }
};

}  // namespace zmesh::state
