"""Kubernetes objects the lab implies, written as YAML (tiny emitter, no PyYAML needed)."""
from __future__ import annotations

import json
import re

AMBIENT_LABEL = "istio.io/dataplane-mode"


def _scalar(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid double-quoted YAML scalar


def to_yaml(obj, indent: int = 0) -> str:
    """Block-style YAML for dicts/lists/scalars (enough for Kubernetes manifests)."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        for k, v in obj.items():
            if isinstance(v, dict) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, list) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent)}")
            elif isinstance(v, (dict, list)):
                out.append(f"{pad}{k}: {'{}' if isinstance(v, dict) else '[]'}\n")
            else:
                out.append(f"{pad}{k}: {_scalar(v)}\n")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                # put the first line after "- "
                first, _, rest = body.partition("\n")
                out.append(f"{pad}- {first.strip()}\n{rest}")
            else:
                out.append(f"{pad}- {_scalar(item) if not isinstance(item, (dict, list)) else '{}'}\n")
    else:
        out.append(f"{pad}{_scalar(obj)}\n")
    return "".join(out)


def dump_all(objs) -> str:
    return "".join("---\n" + to_yaml(o) for o in objs)


def namespace(name: str, ambient: bool) -> dict:
    labels = {"kubernetes.io/metadata.name": name}
    if ambient:
        labels[AMBIENT_LABEL] = "ambient"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(name: str, ns: str, node: str, ip: str, host_ip: str, labels: dict, sa: str, ports: list[int]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {
            "nodeName": node,
            "serviceAccountName": sa,
            "containers": [{
                "name": "app",
                "image": "zlab/podtool:local",
                "ports": [{"name": f"tcp-{p}", "containerPort": p, "protocol": "TCP"} for p in ports],
            }],
        },
        "status": {
            "phase": "Running",
            "hostIP": host_ip,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def service(name: str, ns: str, cluster_ip: str, selector: dict, ports: list[tuple[int, int]]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "selector": dict(selector),
            "ports": [{"name": f"tcp-{p}", "port": p, "targetPort": t, "protocol": "TCP"} for p, t in ports],
        },
    }


# ------------------------------------------------------------------ Prometheus text format
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str) -> list[tuple[str, dict, float]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(m.group(3) or "")}
        try:
            val = float(m.group(4))
        except ValueError:
            continue
        out.append((m.group(1), labels, val))
    return out


def metric_sum(samples, name: str, **match) -> float:
    """Sum of samples named `name` whose labels contain every key=value in match
    (a value may be a callable predicate)."""
    total = 0.0
    for n, labels, v in samples:
        if n != name:
            continue
        ok = True
        for k, want in match.items():
            have = labels.get(k)
            if callable(want):
                ok = bool(have is not None and want(have))
            else:
                ok = have == want
            if not ok:
                break
        if ok:
            total += v
    return total
