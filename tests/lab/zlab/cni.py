"""Pods made the way kubelet + containerd make them: a real API server, real CNI plugins.

    with KubeCluster("cni") as kc, CniLab(kc, nodes=2) as cl:
        cl.create_namespace("demo", ambient=True)
        a = cl.create_pod(0, "demo", "a")                # Pod object, netns, CNI ADD, status, app
        svc = cl.create_service("demo", "a", {"app": "a"})
        print(cl.pod_entry(a))                           # the daemon's status entry for it
        cl.delete_pod(a)                                 # app killed, CNI DEL, netns gone, Pod deleted

Nodes are a node lab (zlab.Lab, no static pods) in Kubernetes API mode: every node's ztunnel runs
in the node's netns with `--kubeconfig` (a read-only ServiceAccount's token file: get/list/watch,
as the chart's RBAC grants), reaching the loopback API server through the lab's forwarder.
Each node has a CNI config dir <state>/nodes/node<i>/cni/net.d with two networks, named after the
lab and node so libcni's result cache (/var/lib/cni/results/<network>-...) never mixes labs:
  <id>-node<i>-lo   {"type": "loopback"}  (containerd brings lo up with its own loopback network)
  <id>-node<i>      bridge "cni0" in the node netns (isGateway, no masquerade; host-local IPAM over
                    10.244.<i>.0/24 from .160, dataDir in the lab's state dir) and then, unless
                    zmesh_cni=False, {"type": "zmesh-cni", "runDir": <that node's --run-dir>}
CNI_PATH=/usr/lib/cni:<build>/bin (Debian's containernetworking-plugins; build/bin/zmesh-cni).
Addresses start at .160 so they never equal a static lab pod's (.11-.99, .101-.150): the daemon may
look for a pod's IP in every netns of /run/netns, where other labs' pods live too.

A pod (create_pod), in kubelet + containerd order:
  1. the Pod object (spec.nodeName, labels, serviceAccountName; no IP yet)
  2. `ip netns add <id>-<node>-<ns>-<name>`, then `cnitool add` of the loopback network and of the
     node's network, run inside the node's netns, with CNI_ARGS as containerd sends them
     (IgnoreUnknown=1;K8S_POD_NAMESPACE;K8S_POD_NAME;K8S_POD_INFRA_CONTAINER_ID;K8S_POD_UID); the
     container id is cnitool's (cnitool-<hash of the netns path>). A failed ADD is undone as
     containerd does (DEL, netns removed) and reported (Pod.add_error), or raised with check=True.
  3. the app (podtool's server on :8080) in the pod's netns and in the cgroup
     <node cgroup>/pod<uid>/<container id> (kubelet's cgroupfs shape), below the daemon's
     --cgroup-root so its BPF programs see the pod's sockets
  4. the status a kubelet reports: phase Running, Ready, podIP from the ADD result, hostIP
Deleting (delete_pod): the app killed, CNI DEL (node network, then loopback), netns removed, the
Pod force-deleted (no kubelet would confirm a graceful deletion), its cgroup removed.
Every cnitool run is logged to <logs>/cni-<node>.log (env, exit status, output).
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import subprocess
import time

from . import mtls
from .host import LabError, StopWaiting, cgroup_kill_tree, cgroup_remove_tree, ip, run, wait_for
from .lab import APP_PORT, REPO, SVC_PORT, Lab, Node, Pod

AMBIENT_LABEL = "istio.io/dataplane-mode"
PLUGIN_DIR = os.environ.get("ZMESH_CNI_PLUGIN_DIR", "/usr/lib/cni")
SYSTEM_NS = "zmesh-system"                 # where the daemons' ServiceAccount lives
CNITOOL_GO_MOD = os.path.join(REPO, "scripts", "cnitool", "go.mod")
RANGE_START = 160


def cnitool_path() -> str:
    """cnitool as scripts/setup-cni built it (ZMESH_CNITOOL overrides)."""
    if os.environ.get("ZMESH_CNITOOL"):
        return os.environ["ZMESH_CNITOOL"]
    version = None
    with open(CNITOOL_GO_MOD) as f:
        for line in f:
            parts = line.split()
            if "github.com/containernetworking/cni" in parts:
                i = parts.index("github.com/containernetworking/cni")
                if i + 1 < len(parts) and parts[i + 1].startswith("v"):
                    version = parts[i + 1]
                    break
    cache = os.environ.get("ZMESH_CNI_CACHE", "/var/cache/zmesh/cni")
    path = os.path.join(cache, version or "?", "bin", "cnitool")
    if not os.access(path, os.X_OK):
        raise LabError(f"{path} is missing: run scripts/setup-cni (scripts/test does) to build cnitool")
    return path


def cnitool_container_id(netns_path: str) -> str:
    """The container id cnitool passes to the plugins: cnitool-<hex of sha512(abs path)[:10]>."""
    return "cnitool-" + hashlib.sha512(os.path.abspath(netns_path).encode()).hexdigest()[:20]


def control(run_dir: str, request: dict, timeout: float = 5.0) -> dict:
    """One request on a daemon's control socket (<run_dir>/ztunnel.sock: a JSON line each way)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(os.path.join(run_dir, "ztunnel.sock"))
        s.sendall(json.dumps(request).encode() + b"\n")
        buf = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
    return json.loads(buf)


class CniPod(Pod):
    """A pod made through the API server and CNI; a zlab Pod (spawn, tool, who, xfer, server...)."""

    def __init__(self, clab: "CniLab", node: Node, namespace: str, name: str, labels: dict,
                 service_account: str, annotations: dict | None = None):
        super().__init__(clab.lab, node, name, namespace, 0, None, "eth0")
        self.clab = clab
        self.netns = f"{clab.lab.id}-{node.name}-{namespace}-{name}"
        self.netns_path = f"/run/netns/{self.netns}"
        self.labels = dict(labels)
        self.annotations = dict(annotations or {})
        self.service_account = service_account
        self.identity = mtls.spiffe_id(namespace, service_account, clab.lab.trust_domain)
        tag = f"{namespace}-{name}"
        self.log_path = os.path.join(clab.lab.log_dir, f"pod-{tag}.log")
        self.results_path = os.path.join(clab.lab.log_dir, f"pod-{tag}.results.jsonl")
        self.container_id = cnitool_container_id(self.netns_path)
        self.uid: str | None = None
        self.pod_cgroup: str | None = None           # <node cgroup>/pod<uid>
        self.cgroup = None                           # <pod cgroup>/<container id>: the app's
        self.add_result: dict | None = None          # cnitool's ADD result (the final CNI result)
        self.add_error: str | None = None            # why the last ADD failed (None: it succeeded)
        self.sandbox = False                         # the netns exists and ADD succeeded

    @property
    def in_mesh(self) -> bool:
        """What the Istio rules say about this pod now (namespace label, pod label)."""
        mode = self.labels.get(AMBIENT_LABEL)
        if mode == "none":
            return False
        return mode == "ambient" or self.clab.namespace_ambient(self.namespace)

    def __repr__(self) -> str:
        return f"CniPod({self.full_name}@{self.node.name} {self.ip})"

    def cni_args(self) -> str:
        return (f"IgnoreUnknown=1;K8S_POD_NAMESPACE={self.namespace};K8S_POD_NAME={self.name};"
                f"K8S_POD_INFRA_CONTAINER_ID={self.container_id};K8S_POD_UID={self.uid}")

    def listening_ports(self) -> set[int]:
        """TCP ports something listens on inside the pod (the daemon's 15001/15006/15008 when enrolled)."""
        out = run(["nsenter", f"--net={self.netns_path}", "ss", "-Htln"], timeout=10).stdout
        ports = set()
        for line in out.splitlines():
            cols = line.split()
            if len(cols) >= 4:
                try:
                    ports.add(int(cols[3].rsplit(":", 1)[1]))
                except (IndexError, ValueError):
                    pass
        return ports


class CniNode:
    """One node's CNI side: conf dir, networks, IPAM range, and cnitool runs in its netns."""

    def __init__(self, clab: "CniLab", node: Node):
        self.clab, self.node = clab, node
        base = os.path.join(clab.lab.state_dir, "nodes", node.name, "cni")
        self.conf_dir = os.path.join(base, "net.d")
        self.ipam_dir = os.path.join(base, "ipam")
        self.network = f"{clab.lab.id}-{node.name}"
        self.lo_network = f"{self.network}-lo"
        self.subnet = ipaddress.ip_network(f"10.244.{node.index}.0/24")
        self.gateway = str(self.subnet.network_address + 1)
        self.log_path = os.path.join(clab.lab.log_dir, f"cni-{node.name}.log")

    def conflist(self, zmesh_cni: bool = True, cni_version: str = "1.0.0") -> dict:
        net = self.subnet
        plugins = [{
            "type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False,
            "ipam": {"type": "host-local",
                     "ranges": [[{"subnet": str(net), "rangeStart": str(net.network_address + RANGE_START),
                                  "rangeEnd": str(net.network_address + 250), "gateway": self.gateway}]],
                     "routes": [{"dst": "0.0.0.0/0"}], "dataDir": self.ipam_dir},
        }]
        if zmesh_cni:
            plugins.append({"type": "zmesh-cni", "runDir": self.node.run_dir})
        return {"cniVersion": cni_version, "name": self.network, "plugins": plugins}

    def write_conf(self, zmesh_cni: bool = True, cni_version: str = "1.0.0") -> None:
        os.makedirs(self.conf_dir, exist_ok=True)
        lo = {"cniVersion": "1.0.0", "name": self.lo_network, "plugins": [{"type": "loopback"}]}
        for fname, conf in (("10-zmesh-lab.conflist", self.conflist(zmesh_cni, cni_version)),
                            ("99-loopback.conflist", lo)):
            mtls.write_atomic(os.path.join(self.conf_dir, fname), json.dumps(conf, indent=1) + "\n")

    def cnitool(self, verb: str, network: str, pod: CniPod, timeout: float = 60) -> subprocess.CompletedProcess:
        """`cnitool <verb> <network> <pod netns>` inside the node's netns, as containerd runs plugins."""
        # containerd's loopback network has the interface name "lo", the pod network "eth0"
        ifname = "lo" if network == self.lo_network else "eth0"
        env = dict(os.environ, NETCONFPATH=self.conf_dir, CNI_PATH=self.clab.cni_path, CNI_IFNAME=ifname,
                   CNI_ARGS=pod.cni_args())
        cmd = ["nsenter", f"--net={self.node.netns_path}", self.clab.cnitool, verb, network, pod.netns_path]
        t0 = time.monotonic()
        try:
            cp = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise LabError(f"cnitool {verb} {network} for {pod.full_name} timed out after {timeout}s") from e
        with open(self.log_path, "a") as f:
            f.write(f"===== {time.strftime('%H:%M:%S')} cnitool {verb} {network} {pod.netns_path} "
                    f"({pod.full_name}) rc={cp.returncode} in {time.monotonic() - t0:.2f}s\n"
                    f"CNI_ARGS={env['CNI_ARGS']}\n--- stdout\n{_nl(cp.stdout)}--- stderr\n{_nl(cp.stderr)}")
        return cp


def _nl(text: str | None) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


class CniLab:
    """A node lab whose pods come from a real API server (tests/lab/zkube) through real CNI."""

    def __init__(self, kc, name: str = "cni", nodes: int = 2, zmesh_cni: bool = True, start_daemons: bool = True,
                 build_dir: str | None = None, daemon_args=(), log_level: str = "debug", **lab_kw):
        self.kc = kc
        self.zmesh_cni, self.start_daemons = zmesh_cni, start_daemons
        # The daemons' identity: a ServiceAccount with get/list/watch only (the chart's RBAC).
        self._ensure_namespace(SYSTEM_NS, {})
        kc.grant_read_only(SYSTEM_NS, "ztunnel")
        self.token = kc.service_account_token(SYSTEM_NS, "ztunnel", seconds=24 * 3600)
        self.lab = Lab(name, nodes, 0, 0, build_dir=build_dir, start_daemons=False, enroll=False, servers=False,
                       daemon_args=daemon_args, log_level=log_level, kubeconfig=self.token.kubeconfig(), **lab_kw)
        self.cnitool = cnitool_path()
        self.zmesh_cni_bin = os.path.join(self.lab.build_dir, "bin", "zmesh-cni")
        self.cni_path = f"{PLUGIN_DIR}:{os.path.join(self.lab.build_dir, 'bin')}"
        self.nodes = [CniNode(self, n) for n in self.lab.nodes]
        self.pods: list[CniPod] = []
        self.namespaces: dict[str, dict] = {}   # name -> labels as last set through this object

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "CniLab":
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    def up(self) -> None:
        for b in ("bridge", "host-local", "loopback"):
            if not os.access(os.path.join(PLUGIN_DIR, b), os.X_OK):
                raise LabError(f"{PLUGIN_DIR}/{b} missing: install Debian's containernetworking-plugins "
                               f"(scripts/setup does)")
        needed = ([self.zmesh_cni_bin] if self.zmesh_cni else []) + \
            ([self.lab.ztunnel, self.lab.zmeshctl] if self.start_daemons else [])
        for path in needed:
            if not os.access(path, os.X_OK):
                raise LabError(f"{path} not found: build first (scripts/build)")
        self.lab.up()
        for cn in self.nodes:
            cn.write_conf(self.zmesh_cni)
        if self.start_daemons:
            for n in self.lab.nodes:
                n.start_daemon(wait=False)
            for n in self.lab.nodes:
                n.wait_ready()

    def down(self) -> list[str]:
        for p in self.pods:
            if p.pod_cgroup:
                cgroup_kill_tree(p.pod_cgroup)
        problems = self.lab.down()   # also removes libcni's cached results of our networks
        for p in self.pods:
            try:
                self.kc.api.delete("v1", "Pod", p.name, p.namespace, grace_seconds=0)
            except Exception:  # noqa: BLE001 - the cluster may be gone already
                pass
        return problems

    # ------------------------------------------------------------ lookup
    def node(self, which) -> Node:
        return which if isinstance(which, Node) else self.lab.node(which)

    def cni_node(self, which) -> CniNode:
        n = self.node(which)
        return self.nodes[n.index]

    def pod(self, full_name: str) -> CniPod:
        for p in self.pods:
            if p.full_name == full_name:
                return p
        raise KeyError(full_name)

    # ------------------------------------------------------------ API objects
    def _ensure_namespace(self, name: str, labels: dict) -> None:
        from zkube import ApiError
        try:
            self.kc.create_namespace(name, labels=labels or None)
        except ApiError as e:
            if e.status != 409:
                raise

    def create_namespace(self, name: str, ambient: bool = False, labels: dict | None = None) -> None:
        lb = dict(labels or {})
        if ambient:
            lb[AMBIENT_LABEL] = "ambient"
        self.kc.create_namespace(name, labels=lb or None)
        self.namespaces[name] = lb

    def set_namespace_ambient(self, name: str, ambient: bool) -> None:
        """Label the namespace istio.io/dataplane-mode=ambient, or remove the label."""
        self.kc.api.merge_patch(f"/api/v1/namespaces/{name}",
                                {"metadata": {"labels": {AMBIENT_LABEL: "ambient" if ambient else None}}})
        lb = self.namespaces.setdefault(name, {})
        if ambient:
            lb[AMBIENT_LABEL] = "ambient"
        else:
            lb.pop(AMBIENT_LABEL, None)

    def namespace_ambient(self, name: str) -> bool:
        ns = self.kc.api.get("v1", "Namespace", name)
        return ns["metadata"].get("labels", {}).get(AMBIENT_LABEL) == "ambient"

    def label_pod(self, pod: CniPod, key: str, value: str | None) -> None:
        self.kc.api.merge_patch(f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}",
                                {"metadata": {"labels": {key: value}}})
        if value is None:
            pod.labels.pop(key, None)
        else:
            pod.labels[key] = value

    def create_service(self, namespace: str, name: str, selector: dict, port: int = SVC_PORT,
                       target: int = APP_PORT) -> dict:
        """A ClusterIP Service (the API server allocates the VIP); {"ip", "port", "object"}."""
        svc = self.kc.create_service(namespace, name, selector,
                                     [{"name": f"tcp-{port}", "port": port, "targetPort": target, "protocol": "TCP"}])
        return {"ip": svc["spec"]["clusterIP"], "port": port, "object": svc}

    # ------------------------------------------------------------ pods
    def create_pod(self, node, namespace: str, name: str, labels: dict | None = None,
                   service_account: str = "default", annotations: dict | None = None, check: bool = True,
                   app: bool = True) -> CniPod:
        """A pod as kubelet + containerd make it (see the module doc). With check=False a failed
        ADD is returned (pod.add_error set, the sandbox undone, the Pod object left Pending)."""
        n = self.node(node)
        lb = {"app": name, **(labels or {})}
        pod = CniPod(self, n, namespace, name, lb, service_account, annotations)
        if service_account != "default":
            self.kc.create_service_account(namespace, service_account)
        from zkube import objects
        obj = objects.pod(namespace, name, lb, n.name, service_account, [APP_PORT])
        if pod.annotations:
            obj["metadata"]["annotations"] = dict(pod.annotations)
        created = self.kc.create(obj)
        pod.uid = created["metadata"]["uid"]
        pod.pod_cgroup = os.path.join(n.cgroup, f"pod{pod.uid}")
        pod.cgroup = os.path.join(pod.pod_cgroup, pod.container_id)
        self.pods.append(pod)
        self.run_sandbox(pod, check=check)
        if pod.sandbox and app:
            self.start_app(pod)
        return pod

    def run_sandbox(self, pod: CniPod, check: bool = True) -> bool:
        """RunPodSandbox's network part: netns, CNI ADD (loopback, then the node's network).
        On failure undo as containerd does (CNI DEL, netns removed). Returns whether ADD succeeded."""
        cn = self.cni_node(pod.node)
        ip("netns", "add", pod.netns)
        pod.add_error = None
        for network in (cn.lo_network, cn.network):
            cp = cn.cnitool("add", network, pod)
            if cp.returncode != 0:
                pod.add_error = (cp.stderr or "").strip() or (cp.stdout or "").strip() or f"rc={cp.returncode}"
                break
            if network == cn.network:
                pod.add_result = json.loads(cp.stdout)
        if pod.add_error is not None:
            for network in (cn.network, cn.lo_network):
                cn.cnitool("del", network, pod)
            ip("netns", "del", pod.netns, check=False)
            pod.sandbox = False
            if check:
                raise LabError(f"CNI ADD of {pod.full_name} on {pod.node.name} failed: {pod.add_error}\n"
                               f"(cnitool log: {cn.log_path})")
            return False
        pod.ip = self.result_ip(pod)
        pod.sandbox = True
        return True

    @staticmethod
    def result_ip(pod: CniPod) -> str:
        """The pod's IPv4 address from the ADD result: ips[] on the interface inside its netns."""
        r = pod.add_result or {}
        ifaces = r.get("interfaces", [])
        for entry in r.get("ips", []):
            i = entry.get("interface")
            if i is not None and 0 <= i < len(ifaces) and ifaces[i].get("sandbox") == pod.netns_path:
                addr = ipaddress.ip_interface(entry["address"])
                if addr.version == 4:
                    return str(addr.ip)
        raise LabError(f"no IPv4 address on the pod's interface in the ADD result of {pod.full_name}: {r}")

    def start_app(self, pod: CniPod, timeout: float = 15.0) -> None:
        """The app container (podtool's server on :8080) in the pod's cgroup and netns, then the
        status a kubelet would report (Running, Ready, podIP)."""
        os.makedirs(pod.cgroup, exist_ok=True)
        pod.start_server()
        wait_for(pod.server_listening, timeout, 0.05, f"podtool server in {pod.full_name}")
        self.kc.set_pod_status(pod.namespace, pod.name, pod.ip, host_ip=pod.node.ip)

    def stop_sandbox(self, pod: CniPod) -> subprocess.CompletedProcess | None:
        """StopPodSandbox: the app killed, CNI DEL (node network, then loopback), netns removed.
        Returns the DEL of the node network."""
        if pod.pod_cgroup:
            cgroup_remove_tree(pod.pod_cgroup)
        if not pod.sandbox:
            return None
        cn = self.cni_node(pod.node)
        cp = cn.cnitool("del", cn.network, pod)
        cn.cnitool("del", cn.lo_network, pod)
        ip("netns", "del", pod.netns, check=False)
        pod.sandbox = False
        return cp

    def delete_pod(self, pod: CniPod) -> None:
        """The sandbox stopped, then the Pod object force-deleted (grace period 0)."""
        cp = self.stop_sandbox(pod)
        if cp is not None and cp.returncode != 0:
            raise LabError(f"CNI DEL of {pod.full_name} failed ({cp.returncode}): {cp.stderr}{cp.stdout}")
        self.delete_pod_object(pod)

    def delete_pod_object(self, pod: CniPod) -> None:
        self.kc.api.delete("v1", "Pod", pod.name, pod.namespace, grace_seconds=0)
        if pod in self.pods:
            self.pods.remove(pod)

    # ------------------------------------------------------------ what the daemon says
    def status(self, node) -> dict:
        """The daemon's `status` (control socket): node, enrolled[], pods[] (issue 13)..."""
        r = control(self.node(node).run_dir, {"op": "status"})
        if not r.get("ok"):
            raise LabError(f"status on {self.node(node).name}: {r}")
        return r["status"]

    def pod_entry(self, pod: CniPod) -> dict | None:
        """This pod's entry in its node's status `pods` list ({pod, enrolled, reason, ip, netns})."""
        for e in self.status(pod.node).get("pods", []):
            if e.get("pod") == pod.full_name:
                return e
        return None

    def enrolled_entry(self, pod: CniPod) -> dict | None:
        """This pod's entry in its node's status `enrolled` list (what is redirected now)."""
        for e in self.status(pod.node).get("enrolled", []):
            if e.get("pod") == pod.full_name:
                return e
        return None

    def wait_enrolled(self, pod: CniPod, enrolled: bool = True, timeout: float = 15.0) -> dict:
        """Wait until the daemon reports the pod enrolled (or not), in `pods` and `enrolled` alike;
        returns its `pods` entry. Fails at once if the node's daemon died."""
        n = pod.node
        last: dict = {}

        def settled():
            if n.daemon is not None and n.daemon.poll() is not None:
                raise StopWaiting(f"{n.name}: ztunnel exited with {n.daemon.returncode}\n{n.log_tail()}")
            st = self.status(n)
            entry = next((e for e in st.get("pods", []) if e.get("pod") == pod.full_name), None)
            listed = any(e.get("pod") == pod.full_name for e in st.get("enrolled", []))
            last["entry"], last["listed"] = entry, listed
            if entry is not None and bool(entry.get("enrolled")) == enrolled and listed == enrolled:
                return entry
            return None
        try:
            return wait_for(settled, timeout, 0.1, f"{pod.full_name} {'enrolled' if enrolled else 'not enrolled'} "
                                                   f"on {n.name}")
        except StopWaiting:
            raise
        except LabError as e:
            raise LabError(f"{e}; its status entry: {last.get('entry')}, in `enrolled`: {last.get('listed')}\n"
                           f"{n.log_tail(30)}") from None

    def cni_log(self, node) -> list[str]:
        """zmesh-cni's decision lines on a node (<runDir>/cni.log)."""
        try:
            with open(os.path.join(self.node(node).run_dir, "cni.log"), errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def wait_cni_log(self, node, pred, timeout: float = 10.0) -> str:
        return wait_for(lambda: next((l for l in self.cni_log(node) if pred(l)), None), timeout, 0.1,
                        f"a matching line in {self.node(node).name}'s cni.log")

    def zmeshctl_status(self, node) -> str:
        return self.node(node).zmeshctl("status").stdout

