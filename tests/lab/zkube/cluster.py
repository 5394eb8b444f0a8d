"""KubeCluster: a real etcd + kube-apiserver on loopback for one test module, with Istio's CRDs.

    with KubeCluster("cfg") as kc:
        kc.create_namespace("mesh", labels={"istio.io/dataplane-mode": "ambient"})
        kc.create_pod("mesh", "a", ip="10.1.0.5", labels={"app": "a"})
        kc.apply(virtual_service_yaml)               # through kubectl, server-side apply
        ztunnel --kubeconfig kc.kubeconfig ...        # or kc.service_account_token(...) for in-cluster
        kc.compact(); kc.restart_apiserver()

Everything lives in a private data dir (etcd data, PKI, kubeconfigs) that stop() deletes; logs go
to ZKUBE_LOG_ROOT/<id>/ and stay. Ports are picked free, so clusters run side by side. What is
missing next to a real cluster: no kubelet, scheduler or controller-manager. Hence Pods are created
bound to a node with their status patched in (create_pod), EndpointSlices are written by the test,
a namespace's `default` ServiceAccount is created by create_namespace, deleting a Namespace leaves
it Terminating, and the ServiceAccount admission plugin is off (it would reject Pods whose account
the missing controller never made).

Watch cache: on by default, as in real clusters (it is what sends BOOKMARKs). It serves watches
from its own event window, so compacting etcd alone does not make a watch from an old
resourceVersion fail; a restart does (the new cache starts at the current revision): see
expire_watch_history(). With watch_cache=False watches go straight to etcd, so compact() alone
yields 410 (but no BOOKMARKs are sent).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from zlab.host import log, wait_for
from zlab.kube import to_yaml

from . import objects, procs
from .client import ApiError, KubeClient, KubeError
from .pki import ClusterPKI
from .tokens import ServiceAccountToken

ISTIO_CRDS = os.environ.get("ZKUBE_ISTIO_CRDS") or os.path.join(
    os.path.dirname(procs.REPO), "shared", "data", "istio-crds", "crd-all.gen.yaml")
SERVICE_CIDR = "10.96.0.0/16"
ISSUER = "https://kubernetes.default.svc.cluster.local"
STARTUP_TIMEOUT = float(os.environ.get("ZKUBE_STARTUP_TIMEOUT", "120"))  # 2 shared cores can be slow


class KubeCluster:
    def __init__(self, name: str = "zkube", *, istio_crds: bool | str = True, watch_cache: bool = True,
                 apiserver_args: list[str] = ()):
        self.name = name
        self.crds_file = ISTIO_CRDS if istio_crds is True else (istio_crds or None)
        self.watch_cache = watch_cache
        self.extra_args = list(apiserver_args)
        self.etcd = self.apiserver = None
        self.dir = self.id = None
        self.api: KubeClient | None = None

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "KubeCluster":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for b in ("etcd", "kube-apiserver", "kubectl"):
            procs.binary(b)  # fail before making anything if setup-k8s has not run
        if self.crds_file and not os.path.isfile(self.crds_file):
            raise KubeError(f"Istio CRDs not found at {self.crds_file} (set ZKUBE_ISTIO_CRDS)")
        procs.reap_stale()
        os.makedirs(procs.ZKUBE_ROOT, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=f"{self.name}-", dir=procs.ZKUBE_ROOT)
        self.id = os.path.basename(self.dir)
        self.log_dir = os.path.join(procs.ZKUBE_LOG_ROOT, self.id)
        os.makedirs(self.log_dir, exist_ok=True)
        procs.prune_logs()
        self._save_state()
        t0 = time.monotonic()
        self.pki = ClusterPKI(os.path.join(self.dir, "pki"))
        self._start_etcd()
        for attempt in range(3):  # as for etcd: the free port may be taken before we bind it
            self.apiserver_port = procs.free_port()
            self.server = f"https://127.0.0.1:{self.apiserver_port}"
            self.api = KubeClient(self.server, self.pki.ca_file, self.pki.admin_cert, self.pki.admin_key)
            self.kubeconfig = self.write_kubeconfig(os.path.join(self.dir, "admin.kubeconfig"),
                                                    cert=(self.pki.admin_cert, self.pki.admin_key))
            try:
                self.start_apiserver()
                break
            except KubeError as e:
                procs.stop(self.apiserver)
                if "address already in use" not in str(e) or attempt == 2:
                    raise
        self._ensure_service_account("default", "default")
        if self.crds_file:
            self.apply_file(self.crds_file)
            self.wait_crds_served()
        log(f"zkube {self.id}: etcd :{self.etcd_port}, kube-apiserver {self.server} ready in "
            f"{time.monotonic() - t0:.1f}s (logs {self.log_dir})")

    def stop(self) -> None:
        """Stop both processes and delete the data dir. Safe to call twice or after a failed start."""
        procs.stop(self.apiserver)
        procs.stop(self.etcd)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _save_state(self) -> None:
        procs.write_state(self.dir, {"name": self.name, "owner_pid": os.getpid(), "pids": {
            "etcd": self.etcd.pid if self.etcd else None,
            "apiserver": self.apiserver.pid if self.apiserver else None}})

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"--- {n} (last {lines} lines)\n{procs.tail(os.path.join(self.log_dir, n), lines)}"
                         for n in ("etcd.log", "kube-apiserver.log"))

    # ------------------------------------------------------------ etcd
    def _start_etcd(self) -> None:
        for attempt in range(3):  # a free port can be taken by someone else before etcd binds it
            self.etcd_port, peer = procs.free_port(), procs.free_port()
            self.etcd_url = f"http://127.0.0.1:{self.etcd_port}"
            peer_url = f"http://127.0.0.1:{peer}"
            self.etcd = procs.spawn([
                procs.binary("etcd"), "--name", "zkube", "--data-dir", os.path.join(self.dir, "etcd"),
                "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
                "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", f"zkube={peer_url}", "--initial-cluster-state", "new",
                # test data: durability across a host crash is not needed, speed is
                "--unsafe-no-fsync", "--log-level", "warn",
            ], os.path.join(self.log_dir, "etcd.log"))
            self._save_state()
            try:
                self._wait(self.etcd, self._etcd_healthy, "etcd /health", 30)
                return
            except KubeError:
                procs.stop(self.etcd)
                in_use = "address already in use" in procs.tail(os.path.join(self.log_dir, "etcd.log"), 20)
                if not in_use or attempt == 2:
                    raise

    def _etcd_healthy(self) -> bool:
        with urllib.request.urlopen(self.etcd_url + "/health", timeout=2) as r:
            return json.load(r).get("health") == "true"

    def _wait(self, proc, pred, what: str, timeout: float) -> None:
        """Poll pred() until true; fail at once (with the logs) if proc exits, or at timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise KubeError(f"{what}: the process exited with {proc.returncode}\n{self.log_tails()}")
            try:
                if pred():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if time.monotonic() > deadline:
                raise KubeError(f"{what}: not ready after {timeout}s\n{self.log_tails()}")
            time.sleep(0.1)

    def _etcd_call(self, method: str, body: dict) -> dict:
        req = urllib.request.Request(f"{self.etcd_url}/v3/{method}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def etcd_revision(self) -> int:
        """etcd's current revision (what the API server hands out as resourceVersions)."""
        key = base64.b64encode(b"/registry/").decode()
        return int(self._etcd_call("kv/range", {"key": key, "limit": 1})["header"]["revision"])

    def compact(self) -> int:
        """Compact etcd at its current revision (what the API server does every 5 minutes):
        older resourceVersions are gone, continue tokens from before expire (410). Returns it."""
        rev = self.etcd_revision()
        self._etcd_call("kv/compaction", {"revision": rev, "physical": True})
        return rev

    # ------------------------------------------------------------ kube-apiserver
    def _apiserver_cmd(self) -> list[str]:
        p = self.pki
        return [
            procs.binary("kube-apiserver"),
            "--etcd-servers", self.etcd_url,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(self.apiserver_port), "--cert-dir", os.path.join(self.dir, "pki"),
            "--tls-cert-file", p.serving_cert, "--tls-private-key-file", p.serving_key,
            "--client-ca-file", p.ca_file,
            "--service-account-issuer", ISSUER, "--api-audiences", ISSUER,
            "--service-account-key-file", p.sa_pub, "--service-account-signing-key-file", p.sa_key,
            "--authorization-mode", "RBAC",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--disable-admission-plugins", "ServiceAccount",
            # no Endpoints for the `kubernetes` Service pointing at loopback
            "--endpoint-reconciler-type", "none",
            f"--watch-cache={'true' if self.watch_cache else 'false'}",
            "--profiling=false", "--shutdown-delay-duration=0s", "-v=1",
            *self.extra_args,
        ]

    def start_apiserver(self) -> None:
        """Start the API server (again) on the same port and data; return when /readyz is ok."""
        if self.apiserver is not None and self.apiserver.poll() is None:
            return
        self.apiserver = procs.spawn(self._apiserver_cmd(), os.path.join(self.log_dir, "kube-apiserver.log"))
        self._save_state()

        def ready():
            st, _ = self.api.request("GET", "/readyz", timeout=3)
            return st == 200
        self._wait(self.apiserver, ready, "kube-apiserver /readyz", STARTUP_TIMEOUT)

    def stop_apiserver(self) -> None:
        """Stop the API server (watches end, connections are refused) and leave etcd running."""
        procs.stop(self.apiserver)

    def restart_apiserver(self) -> None:
        """Stop and start the API server on the same port with the same etcd data."""
        self.stop_apiserver()
        self.start_apiserver()

    def expire_watch_history(self) -> int:
        """Make every resourceVersion handed out so far too old to watch from: compact etcd, then
        restart the API server so its watch cache starts over at the current revision. A watch
        from an older resourceVersion then gets 410 Gone. Returns the compacted revision."""
        rev = self.compact()
        self.restart_apiserver()
        return rev

    # ------------------------------------------------------------ credentials
    def write_kubeconfig(self, path: str, cert: tuple[str, str] | None = None, token: str | None = None,
                         token_file: str | None = None, namespace: str = "default") -> str:
        """A kubeconfig for this cluster (YAML; CA embedded) with one of: a client cert (paths,
        embedded), a token, or a tokenFile (re-read by clients as it rotates)."""
        def b64(path_):
            with open(path_, "rb") as f:
                return base64.b64encode(f.read()).decode()
        user = {}
        if cert:
            user = {"client-certificate-data": b64(cert[0]), "client-key-data": b64(cert[1])}
        elif token:
            user = {"token": token}
        elif token_file:
            user = {"tokenFile": token_file}
        cfg = {
            "apiVersion": "v1", "kind": "Config", "current-context": "zkube",
            "clusters": [{"name": "zkube", "cluster": {"server": self.server,
                                                       "certificate-authority-data": b64(self.pki.ca_file)}}],
            "users": [{"name": "zkube", "user": user}],
            "contexts": [{"name": "zkube", "context": {"cluster": "zkube", "user": "zkube",
                                                       "namespace": namespace}}],
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(to_yaml(cfg))
        return path

    def client(self, token: str | None = None, cert: tuple[str, str] | None = None) -> KubeClient:
        """A REST client for another identity (a token, or a client cert from pki.client_cert)."""
        return KubeClient(self.server, self.pki.ca_file, *(cert or (None, None)), token=token)

    def request_token(self, namespace: str, service_account: str, seconds: int = 600,
                      bound_secret: dict | None = None) -> str:
        """A TokenRequest (bound, expiring; 600 s is the server's minimum). With bound_secret (a
        Secret object as returned by the server) the token dies when that Secret is deleted."""
        spec = {"audiences": [ISSUER], "expirationSeconds": seconds}
        if bound_secret:
            spec["boundObjectRef"] = {"kind": "Secret", "apiVersion": "v1",
                                      "name": bound_secret["metadata"]["name"],
                                      "uid": bound_secret["metadata"]["uid"]}
        out = self.api.call("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
                            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec})
        return out["status"]["token"]

    def service_account_token(self, namespace: str, service_account: str, directory: str | None = None,
                              seconds: int = 600) -> ServiceAccountToken:
        """What the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt,
        namespace), in directory (default: inside the data dir); .rotate() swaps the token."""
        self._ensure_service_account(namespace, service_account)
        d = directory or tempfile.mkdtemp(prefix=f"sa-{namespace}-{service_account}-", dir=self.dir)
        return ServiceAccountToken(self, namespace, service_account, d, seconds)

    def grant_read_only(self, namespace: str, service_account: str, role: str = "zkube-read-only",
                        kinds: dict[str, list[str]] | None = None) -> None:
        """A ClusterRole with only get/list/watch (on objects.READ_KINDS by default), bound to the
        ServiceAccount (created if missing). RBAC takes effect within moments, not instantly."""
        self._ensure_service_account(namespace, service_account)
        self.apply([objects.cluster_role(role, objects.read_only_rules(kinds)),
                    objects.cluster_role_binding(f"{role}-{namespace}-{service_account}", role, namespace,
                                                 service_account)])

    def _ensure_service_account(self, namespace: str, name: str) -> None:
        try:
            self.api.create(objects.service_account(namespace, name))
        except ApiError as e:
            if e.status != 409:
                raise

    # ------------------------------------------------------------ kubectl
    def kubectl(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60,
                kubeconfig: str | None = None) -> subprocess.CompletedProcess:
        """Run the kubectl built with this release, as the admin (or as kubeconfig's user)."""
        cmd = [procs.binary("kubectl"), "--kubeconfig", kubeconfig or self.kubeconfig, *args]
        try:
            cp = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise KubeError(f"kubectl timed out after {timeout}s: {' '.join(args)}") from e
        if check and cp.returncode != 0:
            raise KubeError(f"kubectl {' '.join(args)} failed ({cp.returncode}):\n{cp.stdout}{cp.stderr}")
        return cp

    def apply(self, what, check: bool = True) -> subprocess.CompletedProcess:
        """Server-side apply of YAML text (one or more documents), a dict, or a list of dicts."""
        if isinstance(what, dict):
            what = [what]
        if isinstance(what, list):
            what = json.dumps({"apiVersion": "v1", "kind": "List", "items": what})
        return self.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=zkube", "-f", "-",
                            input=what, check=check)

    def apply_file(self, path: str) -> subprocess.CompletedProcess:
        return self.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=zkube", "-f", path,
                            timeout=120)

    def wait_crds_served(self, timeout: float = 60) -> None:
        """Every CRD Established, and each served version listed by discovery (what clients use)."""
        def served():
            for crd in self.api.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]:
                conds = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
                if conds.get("Established") != "True":
                    return False
                g, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
                for v in crd["spec"]["versions"]:
                    if v.get("served"):
                        st, body = self.api.request("GET", f"/apis/{g}/{v['name']}")
                        if st != 200 or plural not in [r["name"] for r in body.get("resources", [])]:
                            return False
            return True
        wait_for(served, timeout, 0.2, "CRDs established and served")

    # ------------------------------------------------------------ objects
    def create(self, obj: dict) -> dict:
        return self.api.create(obj)

    def delete(self, obj: dict) -> None:
        """Delete now (grace period 0: no kubelet would ever confirm a graceful Pod deletion)."""
        md = obj["metadata"]
        self.api.delete(obj["apiVersion"], obj["kind"], md["name"], md.get("namespace"), grace_seconds=0)

    def patch_status(self, obj: dict, status: dict) -> dict:
        """Merge-patch the status subresource (how a kubelet or controller reports)."""
        return self.api.merge_patch(self.api.path_of(obj, "status"), {"status": status})

    def create_namespace(self, name: str, labels: dict | None = None) -> dict:
        ns = self.api.create(objects.namespace(name, labels))
        self._ensure_service_account(name, "default")
        return ns

    def create_service_account(self, namespace: str, name: str) -> None:
        self._ensure_service_account(namespace, name)

    def create_pod(self, namespace: str, name: str, ip: str | None, labels: dict | None = None,
                   ready: bool = True, node: str = "node-0", service_account: str = "default",
                   ports: list[int] = (), host_ip: str = "127.0.0.1") -> dict:
        """A Pod bound to node, then given the status a kubelet would report (podIP, Ready)."""
        p = self.api.create(objects.pod(namespace, name, labels, node, service_account, ports))
        return self.patch_status(p, objects.pod_status(ip, ready, host_ip))

    def set_pod_status(self, namespace: str, name: str, ip: str | None, ready: bool = True,
                       host_ip: str = "127.0.0.1") -> dict:
        p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}
        return self.patch_status(p, objects.pod_status(ip, ready, host_ip))

    def create_service(self, namespace: str, name: str, selector: dict | None, ports,
                       cluster_ip: str | None = None, labels: dict | None = None) -> dict:
        return self.api.create(objects.service(namespace, name, selector, ports, cluster_ip, labels))

    def create_endpoint_slice(self, namespace: str, service_name: str, endpoints: list[dict], ports,
                              name: str | None = None) -> dict:
        return self.api.create(objects.endpoint_slice(namespace, service_name, endpoints, ports, name))
