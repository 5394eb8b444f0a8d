"""DestinationRule connectionPool settings that shape upstream connections (issue 5), enforced
by ztunnel's outbound side. The client is pod-0-0 (node 0); most upstreams are out-of-mesh pods
on node 1, so ztunnel dials them in plain TCP, where the backend's own sockets can be counted.
Proves, with times measured with tolerance and a control without the setting each time:
- tcp.connectTimeout 1s: an endpoint that never answers the SYN (its replies to the client are
  blackholed in its netns) fails with 503 UF after about 1 s, not Istio's default 10 s;
- http.idleTimeout 1s: ztunnel closes the pooled upstream HTTP connection about 1 s after the
  request (the backend sees it go), while a Service without the rule keeps its connection;
- tcp.idleTimeout 1s on a tcp- port: ztunnel closes an idle relayed connection (both sides);
- tcp.maxConnectionDuration 2s on a tcp- port: a busy relayed connection closes at about 2 s;
- tcp.maxConnectionDuration 1s on an http2- port (nghttpd, h2c): ztunnel drains its HTTP/2
  upstream connection (GOAWAY) and it closes at about 1 s, while one without the rule stays.
The same limits hold where the upstream is in the mesh and ztunnel tunnels (HBONE) to it:
- connectTimeout 1s when the peer's HBONE port never answers (mesh pod-1-1 blackholes its
  replies): 503 UF after about 1 s;
- tcp.idleTimeout 1s and tcp.maxConnectionDuration 2s end a tunnelled byte stream, a Service
  without the rule keeps it.
"""
from __future__ import annotations

import os
import time

import pytest

from conftest import closed_after, find_access, held, make_lab
from test_l7_resilience import _client_args, _dr, _parse, _vs
from test_l7_routing import _service, _start_backend
from zlab import APP_PORT, PLAIN_NS, kube, wait_for

SLOW_IP, IDLE_IP, KEEP_IP = "10.96.52.10", "10.96.52.11", "10.96.52.12"
L4_IDLE_IP, L4_KEEP_IP, L4_DUR_IP = "10.96.52.13", "10.96.52.14", "10.96.52.15"
SLOW_PORT, IDLE_PORT, KEEP_PORT = 9190, 9191, 9192
H2DUR_IP, H2KEEP_IP, H2DUR_PORT, H2KEEP_PORT = "10.96.52.18", "10.96.52.19", 9193, 9194
BACKEND, BLACKHOLE = "plain-1-0", "plain-1-1"  # the second drops its replies to the client
# Upstreams in the mesh (HBONE): the first serves, the second drops its replies to the client.
MESH_BACKEND, MESH_BLACKHOLE = "pod-1-0", "pod-1-1"
HB_SLOW_IP, HB_IDLE_IP, HB_DUR_IP, HB_KEEP_IP = "10.96.52.20", "10.96.52.21", "10.96.52.22", \
    "10.96.52.23"
HB_SLOW_PORT = 9195

def _objects():
    plain = lambda name, ip, port, pod, kind: {  # noqa: E731
        **_service(name, ip, port, {"app": pod}, kind),
        "metadata": {"name": name, "namespace": PLAIN_NS}}
    host = lambda name: f"{name}.{PLAIN_NS}.svc.cluster.local"  # noqa: E731
    pool = lambda name, cp: _dr(name, host(name), {"trafficPolicy": {"connectionPool": cp}})  # noqa: E731
    # No retries: one connect attempt, so its time is the connect timeout's.
    once = lambda name, h: _vs(name, h, [{"name": "once", "retries": {"attempts": 0},  # noqa: E731
                                          "route": [{"destination": {"host": h}}]}])
    return [
        plain("slow", SLOW_IP, SLOW_PORT, BLACKHOLE, "http"),
        plain("idle", IDLE_IP, IDLE_PORT, BACKEND, "http"),
        plain("keep", KEEP_IP, KEEP_PORT, BACKEND, "http"),
        plain("l4idle", L4_IDLE_IP, APP_PORT, BACKEND, "tcp"),
        plain("l4keep", L4_KEEP_IP, APP_PORT, BACKEND, "tcp"),
        plain("l4dur", L4_DUR_IP, APP_PORT, BACKEND, "tcp"),
        plain("h2dur", H2DUR_IP, H2DUR_PORT, BACKEND, "http2-web"),
        plain("h2keep", H2KEEP_IP, H2KEEP_PORT, BACKEND, "http2-web"),
        pool("slow", {"tcp": {"connectTimeout": "1s"}}),
        once("slow", host("slow")),
        pool("idle", {"http": {"idleTimeout": "1s"}}),
        pool("l4idle", {"tcp": {"idleTimeout": "1s"}}),
        pool("l4dur", {"tcp": {"maxConnectionDuration": "2s"}}),
        pool("h2dur", {"tcp": {"maxConnectionDuration": "1s"}}),
        # In the mesh: tunnelled through HBONE.
        _service("hbslow", HB_SLOW_IP, HB_SLOW_PORT, {"app": MESH_BLACKHOLE}, "http"),
        _service("hbidle", HB_IDLE_IP, APP_PORT, {"app": MESH_BACKEND}, "tcp"),
        _service("hbdur", HB_DUR_IP, APP_PORT, {"app": MESH_BACKEND}, "tcp"),
        _service("hbkeep", HB_KEEP_IP, APP_PORT, {"app": MESH_BACKEND}, "tcp"),
        _dr("hbslow", "hbslow", {"trafficPolicy": {"connectionPool": {
            "tcp": {"connectTimeout": "1s"}}}}),
        once("hbslow", "hbslow"),
        _dr("hbidle", "hbidle", {"trafficPolicy": {"connectionPool": {
            "tcp": {"idleTimeout": "1s"}}}}),
        _dr("hbdur", "hbdur", {"trafficPolicy": {"connectionPool": {
            "tcp": {"maxConnectionDuration": "2s"}}}}),
    ]


def _start_nghttpd(lab, pod, port):
    """An h2c-only server (see test_l7_http2_grpc.py) answering 404 to everything."""
    docroot = os.path.join(lab.state_dir, f"nghttpd-{port}")
    os.makedirs(docroot, exist_ok=True)
    with open(os.path.join(lab.log_dir, f"nghttpd-{port}.log"), "w") as out:
        pod.spawn(["nghttpd", "--no-tls", "-a", "0.0.0.0", "-d", docroot, str(port)], stdout=out,
                  stderr=out, start_new_session=True)
    wait_for(lambda: "nghttpd" in pod.run(["ss", "-Hltnp", f"sport = :{port}"]).stdout, 10, 0.05,
             f"nghttpd on {port}")


@pytest.fixture(scope="module")
def lab():
    lab = make_lab("cps", nodes=2, pods_per_node=2, plain_per_node=2)
    with lab:
        text = kube.dump_all(_objects())
        for n in lab.nodes:
            n.write_config("cps.yaml", text)
        for port in (IDLE_PORT, KEEP_PORT):
            _start_backend(lab, lab.pod(BACKEND), port, "v1")
        for port in (H2DUR_PORT, H2KEEP_PORT):
            _start_nghttpd(lab, lab.pod(BACKEND), port)
        # SYN-ACKs (and RSTs) to the client vanish: its connects never complete.
        for pod in (BLACKHOLE, MESH_BLACKHOLE):
            lab.pod(pod).run(["ip", "route", "add", "blackhole", f"{lab.pod('pod-0-0').ip}/32"])
        for n in lab.nodes:
            wait_for(lambda n=n: len(n.config_dump().get("destinationRules") or []) >= 8, 15, 0.2,
                     f"DestinationRules loaded on {n.name}")
        yield lab


def request(lab, host, port, path="/"):
    cp = lab.pod("pod-0-0").run(_client_args(host, port, path, 1, (), 1, ()), timeout=60,
                                check=False)
    assert cp.returncode == 0, cp.stderr
    return _parse(cp.stdout)


def established(lab, port) -> int:
    cp = lab.pod(BACKEND).run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"])
    return len([l for l in cp.stdout.splitlines() if l.strip()])


def hold(lab, host, limit, busy=False):
    return closed_after(held(lab.pod("pod-0-0"), host, APP_PORT, limit, busy))


@pytest.mark.parametrize("ip,port,path", [(SLOW_IP, SLOW_PORT, "/slow-connect"),
                                          (HB_SLOW_IP, HB_SLOW_PORT, "/slow-hbone")],
                         ids=["plain", "hbone"])
def test_connect_timeout_fails_an_unanswered_connect_early(lab, ip, port, path):
    t0 = time.monotonic()
    r = request(lab, ip, port, path)
    took = time.monotonic() - t0
    assert r["status"] == {503: 1}, r
    # 1 s plus the client's own start-up; the default would be 10 s.
    assert 0.9 <= took <= 3.5, f"503 after {took:.2f} s with connectTimeout 1s"
    e = find_access(lab.node("node0"), lambda e: e.get("path") == path)
    assert e["response_code"] == 503 and "UF" in e["response_flags"], e
    if "duration" in e:  # "1001ms"
        assert 900 <= int(e["duration"].rstrip("ms")) <= 2500, e


def test_http_idle_timeout_closes_the_pooled_connection(lab):
    r = request(lab, IDLE_IP, IDLE_PORT)
    assert r["status"] == {200: 1}, r
    t0 = time.monotonic()
    assert established(lab, IDLE_PORT) >= 1, "the upstream connection should be pooled at first"
    r = request(lab, KEEP_IP, KEEP_PORT)
    assert r["status"] == {200: 1}, r
    wait_for(lambda: established(lab, IDLE_PORT) == 0, 5, 0.1, "idle upstream connection closed")
    took = time.monotonic() - t0
    assert took <= 2.5, f"closed {took:.2f} s after the request, idleTimeout 1s"
    # The control: Istio's default idle timeout (1h) keeps the other Service's connection.
    time.sleep(max(0.0, 2.5 - took))
    assert established(lab, KEEP_PORT) >= 1, "a Service without the rule lost its connection"


RELAYS = {"plain": (L4_IDLE_IP, L4_DUR_IP, L4_KEEP_IP), "hbone": (HB_IDLE_IP, HB_DUR_IP, HB_KEEP_IP)}


@pytest.mark.parametrize("path", RELAYS)
def test_tcp_idle_timeout_closes_an_idle_relay(lab, path):
    idle_ip, _, keep_ip = RELAYS[path]
    closed = hold(lab, idle_ip, 6)
    assert closed is not None and 0.8 <= closed <= 2.5, f"closed after {closed} s, idleTimeout 1s"
    find_access(lab.node("node0"), lambda e: e.get("error") == "idle timeout"
                and e.get("dst.service", "").startswith(
                    "hbidle" if path == "hbone" else "l4idle"))
    assert hold(lab, keep_ip, 3) is None, "without the rule the idle relay stays open"


@pytest.mark.parametrize("path", RELAYS)
def test_max_connection_duration_closes_a_busy_relay(lab, path):
    _, dur_ip, keep_ip = RELAYS[path]
    closed = hold(lab, dur_ip, 8, busy=True)
    assert closed is not None and 1.8 <= closed <= 3.5, f"closed after {closed} s, max 2s"
    assert hold(lab, keep_ip, 3, busy=True) is None, "without the rule it stays open"


def test_max_connection_duration_drains_an_http2_upstream(lab):
    assert request(lab, H2DUR_IP, H2DUR_PORT)["status"] == {404: 1}  # nghttpd's 404
    t0 = time.monotonic()
    assert established(lab, H2DUR_PORT) >= 1, "the upstream connection should be pooled at first"
    assert request(lab, H2KEEP_IP, H2KEEP_PORT)["status"] == {404: 1}
    wait_for(lambda: established(lab, H2DUR_PORT) == 0, 5, 0.1, "HTTP/2 upstream drained")
    took = time.monotonic() - t0
    assert took <= 2.0, f"closed {took:.2f} s after the request, maxConnectionDuration 1s"
    time.sleep(max(0.0, 2.0 - took))
    assert established(lab, H2KEEP_PORT) >= 1, "a Service without the rule lost its connection"
