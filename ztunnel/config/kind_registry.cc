#include "config/kind_registry.h"

#include "config/kind_decoders.h"
#include "config/validation.h"
#include "state/mesh_config.h"

namespace zmesh::config {

std::span<const KindInfo> known_kinds() {
  static const KindInfo kKinds[] = {
      {"", "Namespace", {"v1"}, false, dns1123_label_error, decode_namespace},
      {"", "Pod", {"v1"}, true, dns1123_subdomain_error, decode_pod},
      {"", "Service", {"v1"}, true, dns1035_label_error, decode_service},
      {"", "ServiceAccount", {"v1"}, true, dns1123_subdomain_error, decode_service_account},
      {"discovery.k8s.io",
       "EndpointSlice",
       {"v1"},
       true,
       dns1123_subdomain_error,
       decode_endpoint_slice},
      {"networking.istio.io",
       "VirtualService",
       {"v1", "v1beta1", "v1alpha3"},
       true,
       dns1123_subdomain_error,
       decode_virtual_service},
      {"networking.istio.io",
       "DestinationRule",
       {"v1", "v1beta1", "v1alpha3"},
       true,
       dns1123_subdomain_error,
       decode_destination_rule},
      {"security.istio.io",
       "PeerAuthentication",
       {"v1", "v1beta1"},
       true,
       dns1123_subdomain_error,
       decode_peer_authentication},
      {"security.istio.io",
       "AuthorizationPolicy",
       {"v1", "v1beta1"},
       true,
       dns1123_subdomain_error,
       decode_authorization_policy},
      {"security.istio.io",
       "RequestAuthentication",
       {"v1", "v1beta1"},
       true,
       dns1123_subdomain_error,
       decode_request_authentication},
      // Istio's meshConfig: ConfigMap `istio` in the root namespace, nothing else.
      {"",
       "ConfigMap",
       {"v1"},
       true,
       dns1123_subdomain_error,
       decode_config_map,
       state::kMeshConfigMapName,
       true},
  };
  return kKinds;
}

const KindInfo* find_kind(std::string_view group, std::string_view kind) {
  for (const auto& k : known_kinds()) {
    if (k.group == group && k.kind == kind) return &k;
  }
  return nullptr;
}

bool root_namespace_only(std::string_view kind) {
  for (const auto& k : known_kinds()) {
    if (k.kind == kind) return k.root_namespace_only;
  }
  return false;
}

}  // namespace zmesh::config
