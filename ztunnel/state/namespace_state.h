// One namespace as the snapshot compiler keeps it: its Pods, Services and EndpointSlices as
// served, the workloads and services compiled from them, and a label index of its live pods
// so a Service's endpoints are found without scanning the namespace. Shared between
// snapshots and copied only when something in the namespace changes.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "state/snapshot.h"

namespace zmesh::state {

struct NamespaceState {
  ObjectPtr object;      // the Namespace, or null when only its members are known
  bool ambient = false;  // istio.io/dataplane-mode=ambient on the Namespace

  std::map<std::string, ObjectPtr> pods;                                    // by name
  std::map<std::string, std::shared_ptr<const Workload>> workloads;         // by pod name
  std::map<std::string, ObjectPtr> services;                                // by name
  std::map<std::string, std::shared_ptr<const ServiceInfo>> service_infos;  // by name
  std::map<std::string, ObjectPtr> slices;                                  // by name
  // "key=value" -> names of the live pods (not terminated, with an IP) carrying that label.
  std::unordered_map<std::string, std::set<std::string>> pods_by_label;
  // Service name -> names of the EndpointSlices labelled kubernetes.io/service-name with it.
  std::map<std::string, std::set<std::string>> slices_by_service;

  bool empty() const { return !object && pods.empty() && services.empty() && slices.empty(); }
};

}  // namespace zmesh::state
