"""Checks the policy tests share (PeerAuthentication, AuthorizationPolicy): does a connection
reach the destination's app, is it refused, and a second app port to aim port-level rules at."""
from __future__ import annotations

import json
import os

from zlab import APP_PORT, LabError, kube, wait_for
from zlab.lab import PODTOOL


def reaches(src, dst, port: int = APP_PORT) -> bool:
    """A WHO from src to dst:port answered by dst's app."""
    r = src.who(dst.ip, port, io_timeout=3, check=False, timeout=15)
    return r["rc"] == 0 and r.get("pod") == dst.full_name


def refused(src, dst, port: int = APP_PORT) -> bool:
    """Connected, then closed without an answer (not a hang: a timeout does not count)."""
    r = src.who(dst.ip, port, io_timeout=3, check=False, timeout=15)
    return r["rc"] != 0 and "pod" not in r and "timed out" not in r.get("error", "")


def wait_state(what: str, pred, timeout: float = 15.0) -> None:
    try:
        wait_for(pred, timeout, 0.3, what)
    except LabError as e:
        raise AssertionError(str(e)) from None


def assert_holds(what: str, pred, times: int = 3) -> None:
    for i in range(times):
        assert pred(), f"{what} (check {i + 1}/{times})"


def serve_extra_port(pod, port: int) -> None:
    """podtool's WHO server on a second port of `pod`, recording into the pod's results."""
    pod.start_app([PODTOOL, "serve", "--port", port, "--name", pod.full_name,
                   "--results", pod.results_path], f"podtool-{port}", 15)


def write_policies(lab, filename: str, objs) -> None:
    """The objects (dicts) as `filename` in every node's config dir."""
    text = kube.dump_all(list(objs))
    for n in lab.nodes:
        n.write_config(filename, text)


def remove_policies(lab, filename: str) -> None:
    for n in lab.nodes:
        try:
            os.unlink(os.path.join(n.config_dir, filename))
        except FileNotFoundError:
            pass


def audit_entries(node) -> list[dict]:
    """The node's --audit-log records so far."""
    try:
        with open(node.audit_log) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def find_audit(node, pred, timeout: float = 10.0) -> dict:
    return wait_for(lambda: next((e for e in audit_entries(node) if pred(e)), None), timeout, 0.1,
                    f"audit record on {node.name}")
