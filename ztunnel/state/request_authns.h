// RequestAuthentication compiled for the data path: which jwtRules apply to a workload, in
// Istio's order, and every jwksUri the fetcher must keep fresh. Verification is the caller's
// (jwt/); this only answers "which rules" cheaply.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "state/model.h"
#include "state/request_authentication.h"

namespace zmesh::state {

class RequestAuthns {
 public:
  RequestAuthns() = default;  // no RequestAuthentication: no rule anywhere

  // Istio's targeting, as AuthzPolicies:
  // - an object without selector (or `selector: {}`) applies to every workload of its
  //   namespace; with a selector (matchLabels, ANDed) to the workloads of its namespace it
  //   matches;
  // - an object in `root_namespace` applies mesh-wide, its selector matched in every namespace;
  // - objects with targetRef(s) are for waypoints and gateways: left out.
  // Order: the root namespace's first, then the namespace's, each oldest first
  // (state/oldest_first.h); within an object, its jwtRules as written.
  RequestAuthns(const std::vector<RequestAuthentication>& objects,
                const std::string& root_namespace);

  // Every jwtRule of every RequestAuthentication that applies to a workload in `ns` with
  // `labels`. Pointers stay valid as long as this object (the Snapshot). Cost: one hash
  // lookup and a label subset test per object of the namespace and of the root namespace;
  // allocates only when something applies.
  std::vector<const JwtRule*> rules_for(const std::string& ns, const Labels& labels) const;

  // True when no rule applies anywhere (the common fast path).
  bool empty() const { return mesh_.empty() && by_ns_.empty(); }

  // Every distinct jwksUri any rule names (sorted), for the fetcher.
  std::vector<std::string> jwks_uris() const { return jwks_uris_; }

 private:
  struct Entry {
    Labels selector;  // empty: every workload
    std::shared_ptr<const RequestAuthentication> object;
  };
  static void add(const std::vector<Entry>& entries, const Labels& labels,
                  std::vector<const JwtRule*>& out);

  std::vector<Entry> mesh_;                                    // the root namespace's
  std::unordered_map<std::string, std::vector<Entry>> by_ns_;  // the other namespaces'
  std::vector<std::string> jwks_uris_;                         // sorted, distinct
};

}  // namespace zmesh::state
