"""Builders for the Kubernetes objects tests create (plain dicts, ready for KubeClient or apply).

No kubelet, scheduler or controller-manager runs in the harness, so what they would add is
spelled out here: a Pod's status (phase, podIP, Ready conditions: see pod_status), a Service's
EndpointSlice (endpoint_slice), a namespace's `default` ServiceAccount (KubeCluster does it).
"""
from __future__ import annotations

import datetime as dt

# What the node daemon reads (issue 4); read_only_rules() grants exactly get/list/watch on these.
READ_KINDS = {
    "": ["namespaces", "pods", "services", "serviceaccounts", "endpoints", "configmaps"],
    "discovery.k8s.io": ["endpointslices"],
    "networking.istio.io": ["virtualservices", "destinationrules"],
    "security.istio.io": ["peerauthentications", "authorizationpolicies", "requestauthentications"],
}
READ_VERBS = ["get", "list", "watch"]


def _md(name: str, namespace: str | None = None, labels: dict | None = None) -> dict:
    md = {"name": name}
    if namespace:
        md["namespace"] = namespace
    if labels:
        md["labels"] = dict(labels)
    return md


def namespace(name: str, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _md(name, labels=labels)}


def service_account(namespace: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _md(name, namespace)}


def pod(namespace: str, name: str, labels: dict | None = None, node: str = "node-0",
        service_account: str = "default", ports: list[int] = ()) -> dict:
    """A Pod already bound to a node (no scheduler runs); its status comes from pod_status()."""
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": _md(name, namespace, labels),
        "spec": {
            "nodeName": node,
            "serviceAccountName": service_account,
            "containers": [{"name": "app", "image": "zkube/none:0",
                            "ports": [{"containerPort": p, "protocol": "TCP"} for p in ports]}],
        },
    }


def pod_status(ip: str | None, ready: bool = True, host_ip: str = "127.0.0.1", phase: str = "Running") -> dict:
    """What the kubelet would report: phase, hostIP, podIP(s) and the four standard conditions."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    def cond(t: str, ok: bool) -> dict:
        return {"type": t, "status": "True" if ok else "False", "lastTransitionTime": now}
    st = {"phase": phase, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": now,
          "conditions": [cond("PodScheduled", True), cond("Initialized", True),
                         cond("ContainersReady", ready), cond("Ready", ready)]}
    if ip:
        st["podIP"], st["podIPs"] = ip, [{"ip": ip}]
    return st


def service(namespace: str, name: str, selector: dict | None, ports: list[int] | list[dict],
            cluster_ip: str | None = None, labels: dict | None = None) -> dict:
    """A ClusterIP Service; ports as numbers (name tcp-<port>, TCP) or full ServicePort dicts.
    The API server allocates clusterIP from --service-cluster-ip-range unless one is given."""
    sp = [p if isinstance(p, dict) else {"name": f"tcp-{p}", "port": p, "targetPort": p, "protocol": "TCP"}
          for p in ports]
    spec = {"ports": sp, "type": "ClusterIP"}
    if selector is not None:
        spec["selector"] = dict(selector)
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": _md(name, namespace, labels), "spec": spec}


def endpoint_slice(namespace: str, service_name: str, endpoints: list[dict], ports: list[int] | list[dict],
                   name: str | None = None) -> dict:
    """The slice the EndpointSlice controller would write. endpoints: dicts with "ip" and
    optionally "ready" (default True), "pod" (a targetRef), "node"."""
    eps = []
    for e in endpoints:
        ep = {"addresses": [e["ip"]], "conditions": {"ready": e.get("ready", True),
                                                   "serving": e.get("ready", True), "terminating": False}}
        if e.get("pod"):
            ep["targetRef"] = {"kind": "Pod", "namespace": namespace, "name": e["pod"]}
        if e.get("node"):
            ep["nodeName"] = e["node"]
        eps.append(ep)
    sp = [p if isinstance(p, dict) else {"name": f"tcp-{p}", "port": p, "protocol": "TCP"} for p in ports]
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": _md(name or f"{service_name}-zkube", namespace,
                        {"kubernetes.io/service-name": service_name,
                         "endpointslice.kubernetes.io/managed-by": "zkube"}),
        "addressType": "IPv4", "endpoints": eps, "ports": sp,
    }


def read_only_rules(kinds: dict[str, list[str]] | None = None) -> list[dict]:
    return [{"apiGroups": [g], "resources": list(rs), "verbs": list(READ_VERBS)}
            for g, rs in (kinds or READ_KINDS).items()]


def cluster_role(name: str, rules: list[dict]) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _md(name),
            "rules": rules}


def cluster_role_binding(name: str, role: str, namespace: str, service_account_name: str) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": _md(name),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "namespace": namespace, "name": service_account_name}]}
