"""The Kubernetes test harness (tests/lab/zkube) really is a Kubernetes API server.

Checked with the harness's own raw-HTTP client, not the daemon: paged LIST, WATCH with bookmarks,
Istio's CRD schemas (OpenAPI and CEL) enforced, 410 Gone for a watch from a compacted
resourceVersion, data kept across an API server restart, a get/list/watch-only token that cannot
write, token rotation revoking the old token, and clean-up on failure. The daemon's Kubernetes
source tests build on exactly these behaviours.

Needs the binaries from scripts/setup-k8s (scripts/test runs it); without them every test fails.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from zkube import ApiError, KubeCluster, KubeError, bin_dir, objects, pinned_versions
from zkube.procs import ZKUBE_ROOT
from zlab import wait_for

VIRTUAL_SERVICE = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: %(ns)s}
spec:
  hosts: [reviews.%(ns)s.svc.cluster.local]
  http:
  - timeout: %(timeout)s
    route:
    - destination: {host: reviews.%(ns)s.svc.cluster.local, subset: v1}
      weight: 80
    - destination: {host: reviews.%(ns)s.svc.cluster.local, subset: v2}
      weight: 20
"""

PEER_AUTHENTICATION = """apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: %(name)s, namespace: %(ns)s}
spec:
  mtls: {mode: %(mode)s}
"""

# CEL rule in Istio's CRD: portLevelMtls needs a selector with matchLabels.
PEER_AUTHENTICATION_PORTS_WITHOUT_SELECTOR = """apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ports-no-selector, namespace: %(ns)s}
spec:
  portLevelMtls:
    "8080": {mode: DISABLE}
"""


@pytest.fixture(scope="module")
def kc():
    with KubeCluster("e2e-kube") as kc:
        yield kc


def names(items) -> list[str]:
    return sorted(i["metadata"]["name"] for i in items)


def expect_gone(w) -> str:
    """A watch refused with 410: as the HTTP status, or as a first ERROR event carrying a Status."""
    if w.status == 410:
        return "HTTP 410"
    assert w.status == 200, (w.status, w.body)
    ev = w.next_event(timeout=15)
    assert ev is not None and ev["type"] == "ERROR", ev
    assert ev["object"]["code"] == 410, ev
    return "ERROR event 410"


def test_pinned_release_is_installed():
    versions = pinned_versions()
    for b in ("kube-apiserver", "kubectl", "etcd"):
        assert os.access(os.path.join(bin_dir(), b), os.X_OK), f"{b} missing in {bin_dir()}: run scripts/setup-k8s"
    out = subprocess.run([os.path.join(bin_dir(), "kube-apiserver"), "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == f"Kubernetes {versions['kubernetes']}"


def test_server_version_and_istio_crds(kc):
    assert kc.api.call("GET", "/version")["gitVersion"] == pinned_versions()["kubernetes"]
    with open(kc.crds_file) as f:
        want = sorted(re.findall(r"^  name: (\S+)$", f.read(), re.M))
    assert len(want) == 15
    crds = kc.api.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
    assert names(crds) == want
    # served versions the daemon will ask for, preferred version first
    group = kc.api.call("GET", "/apis/networking.istio.io")
    assert group["preferredVersion"]["version"] == "v1"
    assert {"v1", "v1beta1", "v1alpha3"} <= {v["version"] for v in group["versions"]}


def test_list_pages_with_limit_and_continue(kc):
    kc.create_namespace("paging")
    for i in range(7):
        kc.create_pod("paging", f"p{i}", ip=f"10.20.0.{i + 1}", labels={"app": "paging"})
    path = "/api/v1/namespaces/paging/pods"
    page = kc.api.call("GET", path, params={"limit": 3})
    got, rvs, pages = list(page["items"]), {page["metadata"]["resourceVersion"]}, 1
    assert len(page["items"]) == 3 and page["metadata"]["remainingItemCount"] == 4
    while page["metadata"].get("continue"):
        page = kc.api.call("GET", path, params={"limit": 3, "continue": page["metadata"]["continue"]})
        got += page["items"]
        rvs.add(page["metadata"]["resourceVersion"])
        pages += 1
    assert pages == 3
    assert names(got) == [f"p{i}" for i in range(7)]
    assert len(rvs) == 1, f"pages of one LIST come from one snapshot: {rvs}"
    # the status subresource gave each Pod what a kubelet would report
    p3 = next(p for p in got if p["metadata"]["name"] == "p3")
    assert p3["status"]["podIP"] == "10.20.0.4" and p3["status"]["phase"] == "Running"
    assert {"type": "Ready", "status": "True"}.items() <= next(
        c for c in p3["status"]["conditions"] if c["type"] == "Ready").items()


def test_watch_added_modified_deleted_and_bookmark(kc):
    kc.create_namespace("watching")
    path = "/api/v1/namespaces/watching/pods"
    rv = kc.api.call("GET", path)["metadata"]["resourceVersion"]
    with kc.api.watch(path, resource_version=rv, bookmarks=True, timeout_seconds=8) as w:
        assert w.status == 200, w.body
        kc.create_pod("watching", "w1", ip="10.21.0.1", ready=False)
        kc.set_pod_status("watching", "w1", ip="10.21.0.1", ready=True)
        kc.delete(objects.pod("watching", "w1"))
        evs = w.events_until(lambda e: e["type"] == "DELETED")
        types = [e["type"] for e in evs if e["type"] != "BOOKMARK"]
        # create + status patch are separate writes: ADDED, then MODIFIED (maybe twice), then DELETED
        assert types[0] == "ADDED" and types[-1] == "DELETED" and set(types[1:-1]) == {"MODIFIED"}, types
        ready = [e for e in evs if e["type"] == "MODIFIED"][-1]["object"]
        assert ready["status"]["podIP"] == "10.21.0.1"
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in ready["status"]["conditions"])
        # the server sends a BOOKMARK shortly before timeoutSeconds ends the stream
        tail = w.events_until(lambda e: e["type"] == "BOOKMARK", timeout=15)
        bm = tail[-1]["object"]
        assert bm["kind"] == "Pod" and bm["metadata"]["resourceVersion"]
        rest = []
        while (ev := w.next_event(timeout=15)) is not None:  # None: timeoutSeconds ended the stream
            rest.append(ev["type"])
        assert set(rest) <= {"BOOKMARK"}, rest


def test_istio_crd_schemas_accept_valid_and_reject_invalid(kc):
    kc.create_namespace("istio-cfg")
    kc.apply(VIRTUAL_SERVICE % {"ns": "istio-cfg", "timeout": "5s"})
    kc.apply(PEER_AUTHENTICATION % {"ns": "istio-cfg", "name": "strict", "mode": "STRICT"})
    vs = kc.api.get("networking.istio.io/v1", "VirtualService", "reviews", "istio-cfg")
    assert [r["weight"] for r in vs["spec"]["http"][0]["route"]] == [80, 20]
    # the same object through the other served versions (the daemon may watch any of them)
    for v in ("v1beta1", "v1alpha3"):
        assert kc.api.get(f"networking.istio.io/{v}", "VirtualService", "reviews", "istio-cfg")["spec"] == vs["spec"]
    pa = kc.api.get("security.istio.io/v1", "PeerAuthentication", "strict", "istio-cfg")
    assert pa["spec"]["mtls"]["mode"] == "STRICT"

    bad = [
        (PEER_AUTHENTICATION % {"ns": "istio-cfg", "name": "bogus", "mode": "BOGUS"}, "Unsupported value"),
        (PEER_AUTHENTICATION_PORTS_WITHOUT_SELECTOR % {"ns": "istio-cfg"}, "portLevelMtls"),
        (VIRTUAL_SERVICE.replace("name: reviews", "name: too-fast") % {"ns": "istio-cfg", "timeout": "0s"},
         "spec.http[0].timeout"),
    ]
    for doc, why in bad:
        cp = kc.apply(doc, check=False)
        assert cp.returncode != 0, f"accepted an invalid object:\n{doc}"
        assert "Invalid value" in cp.stderr or "Unsupported value" in cp.stderr, cp.stderr
        assert why in cp.stderr, cp.stderr
    # and through raw HTTP: 422 with a Status naming the field
    obj = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
           "metadata": {"name": "raw-bogus", "namespace": "istio-cfg"}, "spec": {"mtls": {"mode": "BOGUS"}}}
    with pytest.raises(ApiError) as e:
        kc.create(obj)
    assert e.value.status == 422
    assert e.value.body["details"]["causes"][0]["field"] == "spec.mtls.mode"
    left = kc.api.list("security.istio.io/v1", "PeerAuthentication", "istio-cfg")["items"]
    assert names(left) == ["strict"]


def test_restart_keeps_data_and_ends_watches(kc):
    kc.create_namespace("durable")
    pod = kc.create_pod("durable", "d1", ip="10.22.0.1")
    kc.apply(VIRTUAL_SERVICE % {"ns": "durable", "timeout": "3s"})
    vs = kc.api.get("networking.istio.io/v1", "VirtualService", "reviews", "durable")
    w = kc.api.watch("/api/v1/namespaces/durable/pods", resource_version=pod["metadata"]["resourceVersion"])
    assert w.status == 200
    kc.stop_apiserver()
    try:
        ended = w.next_event(timeout=15) is None
    except OSError:  # connection reset
        ended = True
    w.close()
    assert ended, "a watch must end when the API server stops"
    with pytest.raises(OSError):
        kc.api.request("GET", "/readyz", timeout=3)
    kc.start_apiserver()
    again = kc.api.get("v1", "Pod", "d1", "durable")
    assert again["metadata"]["uid"] == pod["metadata"]["uid"]
    assert again["status"]["podIP"] == "10.22.0.1"
    vs2 = kc.api.get("networking.istio.io/v1", "VirtualService", "reviews", "durable")
    assert (vs2["metadata"]["uid"], vs2["metadata"]["resourceVersion"]) == \
        (vs["metadata"]["uid"], vs["metadata"]["resourceVersion"])


def test_watch_from_compacted_resource_version_gets_410(kc):
    kc.create_namespace("compact")
    path = "/api/v1/namespaces/compact/pods"
    for i in range(4):
        kc.create_pod("compact", f"c{i}", ip=f"10.23.0.{i + 1}")
    first = kc.api.call("GET", path, params={"limit": 2})
    old_rv, old_continue = first["metadata"]["resourceVersion"], first["metadata"]["continue"]
    kc.create_pod("compact", "c-late", ip="10.23.0.9")  # history after old_rv, then gone
    # before: the old resourceVersion is still watchable
    with kc.api.watch(path, resource_version=old_rv) as w:
        assert w.status == 200 and w.next_event()["object"]["metadata"]["name"] == "c-late"
    kc.expire_watch_history()
    with kc.api.watch(path, resource_version=old_rv) as w:
        how = expect_gone(w)
    print(f"watch from a compacted resourceVersion: {how}")
    # an expired continue token is 410 too; a fresh LIST works and has everything
    st, body = kc.api.request("GET", path, params={"limit": 2, "continue": old_continue})
    assert st == 410, (st, body)
    assert names(kc.api.call("GET", path)["items"]) == ["c-late", "c0", "c1", "c2", "c3"]


def test_second_cluster_without_watch_cache_side_by_side(kc):
    """Two clusters at once (own ports, own data); without the watch cache, compaction alone
    makes an old resourceVersion unwatchable; stop() ends both processes and deletes the data."""
    with KubeCluster("e2e-kube-2", istio_crds=False, watch_cache=False) as kc2:
        assert kc2.apiserver_port != kc.apiserver_port and kc2.etcd_port != kc.etcd_port
        kc2.create_namespace("only-here")
        assert kc.api.request("GET", "/api/v1/namespaces/only-here")[0] == 404
        assert kc.api.request("GET", "/readyz")[0] == 200
        path = "/api/v1/namespaces/only-here/pods"
        rv = kc2.api.call("GET", path)["metadata"]["resourceVersion"]
        kc2.create_pod("only-here", "x", ip="10.24.0.1")
        kc2.compact()
        with kc2.api.watch(path, resource_version=rv, bookmarks=False) as w:
            print(f"no watch cache, compacted: {expect_gone(w)}")
        procs_, data = [kc2.etcd, kc2.apiserver], kc2.dir
    assert all(p.poll() is not None for p in procs_)
    assert not os.path.exists(data)


def test_failed_start_cleans_up():
    bad = KubeCluster("e2e-kube-bad", istio_crds=False, apiserver_args=["--no-such-flag"])
    with pytest.raises(KubeError) as e:
        with bad:
            pass
    assert "no-such-flag" in str(e.value)  # the error carries the API server's log
    assert bad.etcd.poll() is not None and bad.apiserver.poll() is not None
    assert not os.path.exists(os.path.join(ZKUBE_ROOT, bad.id))


def test_read_only_token_and_rotation(kc, tmp_path):
    kc.create_namespace("zmesh-system")
    kc.grant_read_only("zmesh-system", "ztunnel")
    sa = kc.service_account_token("zmesh-system", "ztunnel", directory=str(tmp_path / "sa"))
    with open(sa.token_path) as f:
        assert f.read() == sa.token
    with open(sa.namespace_path) as f:
        assert f.read() == "zmesh-system"
    reader = kc.client(token=sa.token)
    wait_for(lambda: reader.request("GET", "/api/v1/pods")[0] == 200, 10, what="RBAC grant in effect")
    for p in ("/apis/networking.istio.io/v1/virtualservices", "/apis/discovery.k8s.io/v1/endpointslices",
              "/apis/security.istio.io/v1/authorizationpolicies"):
        assert reader.request("GET", p, params={"limit": 1})[0] == 200, p
    with reader.watch("/api/v1/namespaces", timeout_seconds=1) as w:
        assert w.status == 200
    # writes are forbidden: 403 with a Status, for core and Istio kinds alike
    st, body = reader.request("POST", "/api/v1/namespaces/zmesh-system/pods", objects.pod("zmesh-system", "evil"))
    assert st == 403 and body["reason"] == "Forbidden", (st, body)
    st, _ = reader.request("DELETE", "/api/v1/namespaces/zmesh-system")
    assert st == 403
    # kubectl through a tokenFile kubeconfig agrees
    cp = kc.kubectl("auth", "can-i", "create", "pods", kubeconfig=sa.kubeconfig(), check=False)
    assert cp.stdout.strip() == "no"
    assert kc.kubectl("auth", "can-i", "watch", "virtualservices.networking.istio.io",
                      kubeconfig=sa.kubeconfig()).stdout.strip() == "yes"

    # rotation: the file now holds a new token that works; the old one is revoked (401)
    old = sa.rotate()
    with open(sa.token_path) as f:
        new = f.read()
    assert new == sa.token != old
    assert kc.client(token=new).request("GET", "/api/v1/pods")[0] == 200
    wait_for(lambda: kc.client(token=old).request("GET", "/api/v1/pods")[0] == 401, 15,
             what="the rotated-out token rejected")
    assert sa.env() == {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
                                                "KUBERNETES_SERVICE_PORT": str(kc.apiserver_port)}
