"""VirtualService tcp[] and tls[] routes (issue 5) for connections ztunnel keeps as byte streams.

Backends run in the node-1 pods (v1 = pod-1-0, v2 = pod-1-1); the client is pod-0-0 on node 0,
so every connection crosses nodes inside HBONE. Proves:
- tcp[]: the first matching route wins (an entry for another source namespace is skipped) and
  its 75/25 weights split 400 connections within 5 sigma; the metrics name the Service;
- tls[]: ztunnel reads the ClientHello's SNI without terminating TLS: an exact sniHost goes to
  v2, a wildcard to v1; a name no route matches takes the Service's default (both versions);
  the TLS session itself is end to end (the server sees the client's SNI).
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from conftest import make_lab
from zlab import MESH_NS, kube, metric_sum, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND, CLIENT, TLS_APP = (os.path.join(HERE, f) for f in ("l7_backend.py", "l7_client.py", "tls_app.py"))
TCP_IP, TLS_IP, PORT, TLS_PORT = "10.96.51.10", "10.96.51.11", 9080, 8443


def _service(name, ip, port, port_name):
    s = kube.service(name, MESH_NS, ip, {"l4app": "shop"}, [(port, port)])
    s["spec"]["ports"][0]["name"] = port_name
    return s


def _subsets(host):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": host, "namespace": MESH_NS},
            "spec": {"host": host, "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                               {"name": "v2", "labels": {"version": "v2"}}]}}


def _objects():
    tcp_vs = {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "tcpsplit", "namespace": MESH_NS},
        "spec": {"hosts": ["tcpsplit"], "tcp": [
            {"match": [{"sourceNamespace": "elsewhere"}],  # never matches: skipped
             "route": [{"destination": {"host": "tcpsplit", "subset": "v2"}}]},
            {"match": [{"port": PORT, "destinationSubnets": ["10.96.51.0/24"]}],
             "route": [{"destination": {"host": "tcpsplit", "subset": "v1"}, "weight": 75},
                       {"destination": {"host": "tcpsplit", "subset": "v2"}, "weight": 25}]}]}}
    tls_vs = {
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "tlsapp", "namespace": MESH_NS},
        "spec": {"hosts": ["tlsapp", "*.shop.example"], "tls": [  # sniHosts must fall under hosts
            {"match": [{"sniHosts": ["v2.shop.example"], "port": TLS_PORT}],
             "route": [{"destination": {"host": "tlsapp", "subset": "v2"}}]},
            {"match": [{"sniHosts": ["*.shop.example"]}],
             "route": [{"destination": {"host": "tlsapp", "subset": "v1"}}]}]}}
    return [_service("tcpsplit", TCP_IP, PORT, "tcp-split"), tcp_vs, _subsets("tcpsplit"),
            _service("tlsapp", TLS_IP, TLS_PORT, "tls-app"), tls_vs, _subsets("tlsapp")]


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("l4routes", nodes=2, pods_per_node=2, plain_per_node=0)
    for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
        lab.pod(name).labels.update(version=version, l4app="shop")
    with lab:
        key, cert = os.path.join(lab.log_dir, "tls-key.pem"), os.path.join(lab.log_dir, "tls-cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=shop.example"],
                       check=True, capture_output=True)
        text = kube.dump_all(_objects())
        for n in lab.nodes:
            n.write_config("l4routes.yaml", text)
        for name, version in (("pod-1-0", "v1"), ("pod-1-1", "v2")):
            pod = lab.pod(name)
            pod.start_app([BACKEND, "--port", PORT, "--version", version], "http")
            pod.start_app([TLS_APP, "server", "--port", str(TLS_PORT), "--version", version,
                           "--cert", cert, "--key", key], "tls")
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("virtualServices") or []) >= 2, 15, 0.2,
                     f"VirtualServices loaded on {n.name}")
        yield lab


def _run_json(lab, args) -> dict:
    cp = lab.pod("pod-0-0").run([sys.executable, *args], timeout=300, check=False)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout.strip().splitlines()[-1])


def tls_versions(lab, sni, count) -> dict:
    out = _run_json(lab, [TLS_APP, "client", TLS_IP, str(TLS_PORT), "--sni", sni, "--count", str(count)])
    assert out["n_errors"] == 0, out
    return out["version"]


def test_tcp_routes_split_connections_by_weight(lab):
    n = 400  # every request on its own TCP connection through the tcp route
    r = _run_json(lab, [CLIENT, TCP_IP, str(PORT), "/tcp", "--count", str(n), "--new-connection"])
    assert r["status"] == {"200": n}, r
    v2 = r["version"].get("v2", 0)
    sigma = math.sqrt(n * 0.25 * 0.75)
    assert abs(v2 - 0.25 * n) <= 5 * sigma, f"v2 got {v2} of {n} connections, expected {n // 4}"
    opened = metric_sum(lab.node("node0").metrics(), "istio_tcp_connections_opened_total",
                        reporter="source", destination_service="tcpsplit.mesh.svc.cluster.local")
    assert opened >= n, opened


def test_tls_routes_pick_by_sni(lab):
    assert tls_versions(lab, "v2.shop.example", 20) == {"v2": 20}
    assert tls_versions(lab, "api.shop.example", 20) == {"v1": 20}  # the wildcard
    # No sniHost matches: the Service's own default route, across both versions.
    assert set(tls_versions(lab, "other.example", 40)) == {"v1", "v2"}


def test_tls_is_end_to_end(lab):
    # ztunnel only peeked at the ClientHello: the backend's TLS server saw the client's SNI.
    out = subprocess.run(
        lab.pod("pod-0-0").argv(["openssl", "s_client", "-connect", f"{TLS_IP}:{TLS_PORT}",
                                 "-servername", "v2.shop.example", "-quiet"]),
        input="", capture_output=True, text=True, timeout=30)
    line = next(l for l in out.stdout.splitlines() if l.startswith("{"))
    assert json.loads(line) == {"version": "v2", "sni": "v2.shop.example"}, out.stdout
