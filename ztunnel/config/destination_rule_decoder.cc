// networking.istio.io DestinationRule (v1, v1beta1, v1alpha3 share one schema): decoding and
// Istio's validation (pkg/config/validation ValidateDestinationRule), errors at field paths.
// trafficPolicy is in traffic_policy_decoder.cc.
#include <set>

#include "config/istio_fields.h"
#include "config/kind_decoders.h"
#include "config/traffic_policy_decoder.h"

namespace zmesh::config {

Object decode_destination_rule(const FieldReader& root, state::ObjectMeta meta) {
  state::DestinationRule dr;
  dr.meta = std::move(meta);
  FieldReader spec = root.field("spec");
  if (spec.present() && !spec.is_map()) return dr;

  FieldReader host = spec.field("host");
  auto text = host.string();  // records a wrong type itself
  dr.host = text.value_or("");
  if (!host.present()) {
    host.error("required");
  } else if (auto e = text ? wildcard_domain_error(dr.host) : ""; !e.empty()) {
    host.error(e);
  }
  if (FieldReader x = spec.field("trafficPolicy"); x.is_map()) {
    dr.traffic_policy = decode_traffic_policy(x);
  }

  std::set<std::string> names;
  spec.field("subsets").each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    state::Subset subset;
    FieldReader name = item.field("name");
    subset.name = name.string().value_or("");
    if (subset.name.empty()) {
      name.error("subset name cannot be empty");
    } else if (!istio_dns1123_label(subset.name)) {
      name.error("subset name is invalid: " + quote(subset.name));
    } else if (!names.insert(subset.name).second) {
      name.error("duplicate subset names: " + subset.name);
    }
    FieldReader labels = item.field("labels");
    if (labels.present()) subset.labels = decode_label_map(labels);
    if (FieldReader x = item.field("trafficPolicy"); x.is_map()) {
      subset.traffic_policy = decode_traffic_policy(x);
    }
    dr.subsets.push_back(std::move(subset));
  });

  FieldReader selector = spec.field("workloadSelector");
  if (selector.is_map()) dr.workload_selector = decode_label_map(selector.field("matchLabels"));
  dr.export_to =
      read_export_to(spec.field("exportTo"), dr.meta.namespace_, dr.workload_selector.has_value());
  return dr;
}

}  // namespace zmesh::config
