"""DestinationRule connectionPool.tcp.maxConnections, enforced in the kernel at connect() of an
enrolled pod (bpf/lib/conn_limit.h), per Service VIP:port and node-wide.

Proves, in a 1-node lab with real daemons and pods:
- a DestinationRule with maxConnections: 3 on a Service holds at 3 concurrent connections from a
  pod (all three reach the backend app) and the 4th is refused at once with EPERM, counted in
  `zmeshctl connection-limits` and zmesh_connection_limit_rejections_total{destination};
- closing one of the three frees a slot;
- raising the limit to 4 in the config (hot reload) lets a 4th through while the three stay open,
  without resetting the live count;
- another Service without a DestinationRule is never limited.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import make_lab
from zlab import MESH_NS, kube, wait_for
from zlab.host import run

DR_FILE = "destination-rule.yaml"
TARGET = "svc-0-1"
OTHER = "svc-0-0"

# Connects once from inside the pod and prints the errno (0 = connected), no traceback.
CONNECT_ONCE = """
import errno, socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print(0)
except OSError as e:
    print(e.errno)
"""


def destination_rule(max_connections: int) -> dict:
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "limit", "namespace": MESH_NS},
            "spec": {"host": f"{TARGET}.{MESH_NS}.svc.cluster.local",
                     "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": max_connections}}}}}


@pytest.fixture(scope="module")
def lab():
    with make_lab("connlimit", nodes=1, pods_per_node=2, plain_per_node=0) as lab:
        yield lab


def limits(node) -> list[dict]:
    cp = run([node.lab.zmeshctl, "--run-dir", node.run_dir, "--bpf-pin-root", node.pin_root,
              "connection-limits", "-o", "json"], timeout=30)
    return json.loads(cp.stdout)


def limit_of(node, destination: str) -> dict | None:
    return next((l for l in limits(node) if l["destination"] == destination), None)


def connect_errno(pod, host: str, port: int) -> int:
    cp = pod.run([sys.executable, "-c", CONNECT_ONCE, host, str(port)], timeout=30)
    return int(cp.stdout.strip().splitlines()[-1])


def hold(pod, host: str, port: int) -> subprocess.Popen:
    """A connection held open through the mesh to the app (the app answered OK)."""
    p = pod.hold(host, port, 120)
    line = p.stdout.readline()
    assert line, f"hold {host}:{port} printed nothing: {p.stderr.read() if p.poll() is not None else ''}"
    assert json.loads(line)["connected"], line
    return p


def release(p: subprocess.Popen) -> None:
    p.kill()
    p.wait(10)


def rejections(node, destination: str) -> float:
    total = 0.0
    for line in node.metrics_text().splitlines():
        if line.startswith("zmesh_connection_limit_rejections_total{") and f'destination="{destination}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_max_connections_holds_refuses_overflow_and_follows_config(lab):
    node, client = lab.node(0), lab.pod("pod-0-0")
    svc = lab.service(TARGET)
    host, port = svc["ip"], svc["port"]
    destination = f"{host}:{port}"

    node.write_config(DR_FILE, kube.dump_all([destination_rule(3)]))
    held = []
    try:
        wait_for(lambda: (limit_of(node, destination) or {}).get("maxConnections") == 3, 15, 0.2,
                 "maxConnections 3 in the kernel map")
        held = [hold(client, host, port) for _ in range(3)]
        assert limit_of(node, destination)["active"] == 3

        assert connect_errno(client, host, port) == 1, "4th connection was not refused with EPERM"
        entry = limit_of(node, destination)
        assert entry["active"] == 3 and entry["rejected"] == 1, entry
        assert rejections(node, destination) == 1
        # A Service without a DestinationRule is not limited.
        other = lab.service(OTHER)
        assert connect_errno(client, other["ip"], other["port"]) == 0

        # A close frees a slot.
        release(held.pop())
        wait_for(lambda: limit_of(node, destination)["active"] == 2, 10, 0.1, "slot freed on close")
        held.append(hold(client, host, port))
        assert connect_errno(client, host, port) == 1

        # Raising the limit lets the 4th through; the live count survives the update.
        node.write_config(DR_FILE, kube.dump_all([destination_rule(4)]))
        wait_for(lambda: limit_of(node, destination)["maxConnections"] == 4, 15, 0.2, "maxConnections 4")
        assert limit_of(node, destination)["active"] == 3
        held.append(hold(client, host, port))
        assert limit_of(node, destination)["active"] == 4
        assert connect_errno(client, host, port) == 1
    finally:
        for p in held:
            release(p)
        try:
            os.unlink(os.path.join(node.config_dir, DR_FILE))
        except FileNotFoundError:
            pass

    # Without the rule the destination is unlimited again (its idle count is swept).
    wait_for(lambda: limit_of(node, destination) is None, 15, 0.2, "limit removed")
    assert connect_errno(client, host, port) == 0
