"""The node lab: a cluster on one machine.

    with Lab("demo", nodes=2, pods_per_node=2) as lab:
        src, dst = lab.pod("pod-0-0"), lab.pod("pod-1-0")
        print(src.xfer(dst.ip, 8080, 1 << 20))

Shape (all names derived from a unique lab id "zl" + 6 hex digits, so labs never clash):
  fabric netns  <id>-fab   bridge br0; one veth per node (fabric side "n<i>", node side "eth0")
  node netns    <id>-node<i>  eth0 10.10.0.<11+i>/24 on the fabric; routes 10.244.<k>.0/24 via node k;
                one veth per pod (node side "p<j>"/"q<k>", address 10.244.<i>.1/32 + a /32 route to the pod)
  pod netns     <id>-node<i>-<pod>  eth0 10.244.<i>.<11+j>/32, default via 10.244.<i>.1
  (veths are created directly inside their namespaces, so their short names never meet in the root
   namespace; every name is at most 15 characters)
  cgroups       <cgroup2>/<id>/node<i>/<pod>   (the node subtree is the daemon's --cgroup-root)
                <cgroup2>/<id>/zt-node<i>      (the daemon itself, outside the pod subtree)
  pins          /sys/fs/bpf/<id>/node<i>
  state         /run/zmesh-lab/<id>/ (lab.json, ca/ = the shared plug-in CA, nodes/node<i>/{config,run,state})
  logs          /tmp/zmesh-lab-logs/<id>/ (daemon logs, access logs, pod logs; kept after teardown)
Kubernetes view written to every node's config dir (cluster.yaml):
  Namespace mesh (istio.io/dataplane-mode=ambient), Namespace plain (no label)
  Pods mesh/pod-<i>-<j> (labels app=<pod name>, version=v1, role=echo; sa-<pod name>)
       plain/plain-<i>-<k>
  Services mesh/svc-<i>-<j> 10.96.<i>.<11+j>:80 -> 8080 (one pod), mesh/echo 10.96.100.10:80 -> 8080 (all mesh pods),
           plain/plain-svc 10.96.200.10:80 -> 8080
Every pod runs podtool's server on :8080.
Mesh trust (zlab.mtls): one plug-in CA per lab made with openssl (<state>/ca); when the ztunnel
binary knows --ca-dir, every daemon gets --ca-dir, --state-dir, --trust-domain (and --cert-ttl if
cert_ttl is set), so all nodes form one mesh. Workload identities: Pod.identity. Pods named in
enroll_skip stay out of enroll_all() (a mesh pod whose :15008 a test's own process may own).
Kubernetes API mode (kubeconfig=PATH): every daemon gets --kubeconfig PATH instead of --config-dir
and reads the cluster from that API server (no cluster.yaml is written; the pods come from
whoever drives the API, e.g. zlab.cni). An API server on loopback (https://127.0.0.1:PORT, as
tests/lab/zkube runs it) is made reachable at the same address inside every node's netns by a
socat pair (node netns TCP 127.0.0.1:PORT -> <state>/apiserver.sock -> the host's 127.0.0.1:PORT;
path-bound Unix sockets work across network namespaces), so the kubeconfig works unchanged.
Cluster mode (ca_mode="service"): the CA dir is made by `ztunnel ca init`, every node gets
credentials from `ztunnel ca issue-node` (<state>/nodes/node<i>/ca-credentials), and
`ztunnel ca serve` runs in its own netns <id>-ca (eth0 10.10.0.2/24 on the fabric bridge,
listening on 10.10.0.2:15012, its own copy of cluster.yaml, log <logs>/ca-service.log); the
daemons get --ca-addr/--ca-credentials instead of --ca-dir.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

from . import kube, mtls
from .reap import delete_netns_with_prefix, remove_cni_results
from .host import (BPFFS, ID_PREFIX, LAB_LOG_ROOT, LAB_STATE_ROOT, LabError, StopWaiting, cgroup2_root,
                   cgroup_procs, cgroup_remove_tree, http_get, in_netns, ip, kill_popen, log, log_tail, log_text,
                   require_root, run, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
PODTOOL = os.path.join(HERE, "podtool.py")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
APP_PORT = 8080
SVC_PORT = 80
MESH_NS = "mesh"
PLAIN_NS = "plain"
CA_SERVICE_IP = "10.10.0.2"     # cluster mode: `ztunnel ca serve` on the fabric
CA_SERVICE_PORT = 15012


def default_build_dir() -> str:
    return os.environ.get("ZMESH_BUILD_DIR") or os.path.join(REPO, "build")


def _netns_path(name: str) -> str:
    return f"/run/netns/{name}"


class Pod:
    def __init__(self, lab: "Lab", node: "Node", name: str, namespace: str, index: int, ip_addr: str, ifname: str):
        self.lab, self.node, self.name, self.namespace = lab, node, name, namespace
        self.index, self.ip, self.ifname = index, ip_addr, ifname
        self.netns = f"{lab.id}-{node.name}-{name}"
        self.netns_path = _netns_path(self.netns)
        self.cgroup = os.path.join(node.cgroup, name)
        self.labels = {"app": name, "version": "v1", "role": "echo" if namespace == MESH_NS else "plain"}
        self.service_account = f"sa-{name}"
        self.identity = mtls.spiffe_id(namespace, self.service_account, lab.trust_domain)
        self.log_path = os.path.join(lab.log_dir, f"pod-{name}.log")
        self.results_path = os.path.join(lab.log_dir, f"pod-{name}.results.jsonl")
        self.server: subprocess.Popen | None = None
        self.enrolled = False

    @property
    def in_mesh(self) -> bool:
        return self.namespace == MESH_NS

    @property
    def full_name(self) -> str:
        return f"{self.namespace}/{self.name}"

    def __repr__(self) -> str:
        return f"Pod({self.full_name}@{self.node.name} {self.ip})"

    # ------------------------------------------------------------ processes in the pod
    def argv(self, cmd: list[str]) -> list[str]:
        """argv that joins this pod's cgroup first, then its network namespace, then execs cmd."""
        return ["sh", "-c", 'echo $$ > "$1" && ns="$2" && shift 2 && exec nsenter --net="$ns" -- "$@"',
                "zlab-pod", os.path.join(self.cgroup, "cgroup.procs"), self.netns_path, *map(str, cmd)]

    def spawn(self, cmd: list[str], **kw) -> subprocess.Popen:
        env = dict(os.environ, ZLAB_POD=self.full_name, **kw.pop("env", {}))
        p = subprocess.Popen(self.argv(cmd), env=env, **kw)
        self.lab._procs.append(p)
        return p

    def run(self, cmd: list[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        return run(self.argv(cmd), timeout=timeout, check=check)

    def start_app(self, args: list, tag: str, timeout: float = 20.0) -> str:
        """Runs `python3 *args` here (log: <tag>-<pod>.log in the lab's log dir), waits for it
        to print {"listening": ...} and returns the log's path. Fails at once if it exits first."""
        log = os.path.join(self.lab.log_dir, f"{tag}-{self.name}.log")
        with open(log, "w") as out:
            p = self.spawn([sys.executable, *map(str, args)], stdout=out, stderr=out, start_new_session=True)

        def listening() -> bool:
            text = open(log).read()
            if '"listening"' in text:
                return True
            if p.poll() is not None:
                raise StopWaiting(f"{tag} on {self.name} exited with {p.returncode} before listening; "
                                  f"{log}:\n{text}")
            return False
        wait_for(listening, timeout, 0.05, f"{tag} on {self.name}")
        return log

    def tool(self, *args, timeout: float = 120, check: bool = True) -> dict:
        """Run a podtool client command in the pod; return its JSON result."""
        cp = self.run([sys.executable, PODTOOL, *map(str, args)], timeout=timeout, check=False)
        line = (cp.stdout or "").strip().splitlines()
        try:
            d = json.loads(line[-1]) if line else {}
        except json.JSONDecodeError:
            d = {"raw": cp.stdout}
        d["rc"] = cp.returncode
        if check and cp.returncode != 0:
            raise LabError(f"podtool {' '.join(map(str, args))} in {self.full_name} failed rc={cp.returncode}: "
                           f"{cp.stdout} {cp.stderr}")
        return d

    def who(self, host: str, port: int = APP_PORT, io_timeout: float = 10, **kw) -> dict:
        return self.tool("who", host, port, "--timeout", io_timeout, **kw)

    def xfer(self, host: str, port: int, nbytes: int, xid: str = "x", io_timeout: float = 30, **kw) -> dict:
        return self.tool("xfer", host, port, nbytes, "--id", xid, "--timeout", io_timeout, **kw)

    def echo(self, host: str, port: int, text: str, **kw) -> dict:
        return self.tool("echo", host, port, text, **kw)

    def hold(self, host: str, port: int, seconds: float) -> subprocess.Popen:
        """Open a connection and keep it open (returns the process; its first stdout line is JSON)."""
        return self.spawn([sys.executable, PODTOOL, "hold", host, str(port), str(seconds), "--timeout", "10"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def server_results(self) -> list[dict]:
        try:
            with open(self.results_path) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def server_result(self, xid: str, timeout: float = 10.0) -> dict:
        """The line this pod's server wrote for transfer `xid`. The server writes it once both
        directions ended, which can be after the client returned: this waits for the line, and
        fails at once if the server exited, or after `timeout` naming the ids it did write."""
        def written() -> dict | None:
            for r in self.server_results():  # a half-written line raises: tried again
                if r.get("id") == xid:
                    return r
            if self.server is not None and self.server.poll() is not None:
                raise StopWaiting(f"podtool server in {self.full_name} exited with {self.server.returncode} "
                                  f"before writing the result of {xid}\n{self.log_tail()}")
            return None
        try:
            return wait_for(written, timeout, 0.05, f"the result of {xid} from the server in {self.full_name}")
        except StopWaiting:
            raise
        except LabError as e:
            try:
                ids = [r.get("id") for r in self.server_results()]
            except ValueError as bad:
                ids = f"unreadable: {bad}"
            raise LabError(f"{e}; {self.results_path} has results for {ids}\n{self.log_tail()}") from None

    def log_tail(self, n: int = 20) -> str:
        """The last lines of this pod's server log."""
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()[-n:]
        except FileNotFoundError:
            return f"--- {self.log_path}: no log ---"
        return f"--- {self.log_path} (last {len(lines)} lines) ---\n" + "\n".join(lines)

    def start_server(self) -> None:
        out = open(self.log_path, "a")
        self.server = self.spawn([sys.executable, PODTOOL, "serve", "--port", str(APP_PORT), "--name",
                                  self.full_name, "--results", self.results_path],
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

    def server_listening(self) -> bool:
        """The pod's server said it listens; raises StopWaiting if it exited instead."""
        try:
            with open(self.log_path) as f:
                if '"listening"' in f.read():
                    return True
        except FileNotFoundError:
            pass
        if self.server is not None and self.server.poll() is not None:
            raise StopWaiting(f"podtool server in {self.full_name} exited with {self.server.returncode}\n"
                              f"{self.log_tail()}")
        return False


class Node:
    def __init__(self, lab: "Lab", index: int):
        self.lab, self.index = lab, index
        self.name = f"node{index}"
        self.netns = f"{lab.id}-{self.name}"
        self.netns_path = _netns_path(self.netns)
        self.ip = f"10.10.0.{11 + index}"
        self.pod_cidr = f"10.244.{index}.0/24"
        self.gateway = f"10.244.{index}.1"
        self.cgroup = os.path.join(lab.cgroup, self.name)          # --cgroup-root
        self.daemon_cgroup = os.path.join(lab.cgroup, f"zt-{self.name}")
        self.pin_root = os.path.join(lab.pin_dir, self.name)
        base = os.path.join(lab.state_dir, "nodes", self.name)
        self.config_dir = os.path.join(base, "config")
        self.run_dir = os.path.join(base, "run")
        self.state_dir = os.path.join(base, "state")                # --state-dir
        self.log_path = os.path.join(lab.log_dir, f"{self.name}.ztunnel.log")
        self.access_log = os.path.join(lab.log_dir, f"{self.name}.access.log")
        self.audit_log = os.path.join(lab.log_dir, f"{self.name}.audit.log")
        self.pods: list[Pod] = []
        self.daemon: subprocess.Popen | None = None
        self.starts = 0

    def __repr__(self) -> str:
        return f"Node({self.name} {self.ip})"

    # ------------------------------------------------------------ daemon
    @property
    def ca_credentials_dir(self) -> str:
        """Cluster mode: this node's credentials for the CA service (ztunnel ca issue-node)."""
        return os.path.join(self.lab.state_dir, "nodes", self.name, "ca-credentials")

    def daemon_argv(self) -> list[str]:
        lab = self.lab
        source = ["--kubeconfig", lab.kubeconfig] if lab.kubeconfig else ["--config-dir", self.config_dir]
        cmd = [lab.ztunnel, "--node", self.name, *source,
               "--cgroup-root", self.cgroup, "--bpf-pin-root", self.pin_root, "--run-dir", self.run_dir,
               "--admin-addr", "127.0.0.1:15000", "--stats-addr", "0.0.0.0:15020",
               "--readiness-addr", "0.0.0.0:15021", "--log-level", lab.log_level,
               "--access-log", self.access_log, "--audit-log", self.audit_log]
        if lab.workers:
            cmd += ["--workers", str(lab.workers)]
        if lab.mtls:
            if lab.ca_mode == "service":
                cmd += ["--ca-addr", lab.ca_addr, "--ca-credentials", self.ca_credentials_dir]
            else:
                cmd += ["--ca-dir", lab.ca_dir]
            cmd += ["--state-dir", self.state_dir, "--trust-domain", lab.trust_domain]
            if lab.cert_ttl:
                cmd += ["--cert-ttl", lab.cert_ttl]
        cmd += list(lab.daemon_args)
        if lab.daemon_cpus:
            cmd = ["taskset", "-c", str(lab.daemon_cpus), *cmd]
        return ["sh", "-c", 'echo $$ > "$1" && ns="$2" && shift 2 && exec nsenter --net="$ns" -- "$@"',
                "zlab-ztunnel", os.path.join(self.daemon_cgroup, "cgroup.procs"), self.netns_path, *cmd]

    def start_daemon(self, wait: bool = True) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            raise LabError(f"{self.name}: ztunnel already running (pid {self.daemon.pid})")
        os.makedirs(self.daemon_cgroup, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "a") as out:
            out.write(f"===== zlab: ztunnel start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n")
            out.flush()
            self.daemon = subprocess.Popen(self.daemon_argv(), stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        self.lab._save()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready():
            if self.daemon is not None and self.daemon.poll() is not None:
                raise LabError(f"{self.name}: ztunnel exited with {self.daemon.returncode}\n{self.log_tail()}")
            try:
                return http_get(self.netns_path, "127.0.0.1", 15021, "/healthz/ready", timeout=2)[0] == 200
            except OSError:
                return False
        try:
            wait_for(ready, timeout, 0.1, f"{self.name} ztunnel readiness (:15021/healthz/ready)")
        except LabError as e:
            if "exited" in str(e):
                raise
            raise LabError(f"{e}\n{self.log_tail()}") from None

    def stop_daemon(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Signal the daemon and wait for it; returns its exit code."""
        p = self.daemon
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(sig)
        p._zlab_stopped = True
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            raise LabError(f"{self.name}: ztunnel did not exit within {timeout}s of signal {sig}")

    def kill_daemon(self) -> int | None:
        return self.stop_daemon(signal.SIGKILL)

    def restart_daemon(self, sig: int = signal.SIGKILL) -> None:
        self.stop_daemon(sig)
        self.start_daemon()

    def exit_note(self) -> str | None:
        """If the daemon died on its own (not stopped by the lab), say how; the first call also
        writes it into the daemon's log. None while it runs or after an intentional stop."""
        p = self.daemon
        if p is None or p.poll() is None or getattr(p, "_zlab_stopped", False):
            return None
        rc = p.returncode
        how = f"signal {-rc} ({signal.Signals(-rc).name})" if rc < 0 else f"exit code {rc}"
        note = f"{self.name}: ztunnel (pid {p.pid}) had exited with {how}"
        if not getattr(p, "_zlab_logged", False):
            p._zlab_logged = True
            try:
                with open(self.log_path, "a") as f:
                    f.write(f"===== zlab: {note} =====\n")
            except OSError:
                pass
        return note

    def alive(self) -> bool:
        return self.daemon is not None and self.daemon.poll() is None

    def log_text(self) -> str:
        return log_text(self.log_path)

    def log_tail(self, n: int = 40) -> str:
        return log_tail(self.log_path, n)

    # ------------------------------------------------------------ daemon APIs
    def http(self, port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
        return http_get(self.netns_path, "127.0.0.1", port, path, timeout)

    def metrics_text(self) -> str:
        st, body = self.http(15020, "/stats/prometheus")
        if st != 200:
            raise LabError(f"{self.name}: /stats/prometheus answered {st}")
        return body

    def metrics(self) -> list:
        return kube.parse_prometheus(self.metrics_text())

    def config_dump(self) -> dict:
        st, body = self.http(15000, "/config_dump")
        if st != 200:
            raise LabError(f"{self.name}: /config_dump answered {st}: {body[:200]}")
        return json.loads(body)

    def access_log_entries(self) -> list[dict]:
        out = []
        try:
            with open(self.access_log, errors="replace") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            out.append(json.loads(line))
                        except json.JSONDecodeError:
                            pass
        except FileNotFoundError:
            pass
        return out

    def zmeshctl(self, *args, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        return run([self.lab.zmeshctl, "--run-dir", self.run_dir, *map(str, args)], check=check, timeout=timeout)

    def connections(self) -> str:
        return run([self.lab.zmeshctl, "--run-dir", self.run_dir, "--bpf-pin-root", self.pin_root, "connections"],
                   timeout=30).stdout

    def enroll(self, pod: Pod, check: bool = True) -> subprocess.CompletedProcess:
        cp = self.zmeshctl("enroll", "--pod", pod.full_name, "--netns", pod.netns_path, check=check)
        if cp.returncode == 0:
            pod.enrolled = True
        return cp

    def unenroll(self, pod: Pod, check: bool = True) -> subprocess.CompletedProcess:
        cp = self.zmeshctl("unenroll", "--pod", pod.full_name, check=check)
        if cp.returncode == 0:
            pod.enrolled = False
        return cp

    def write_config(self, filename: str, text: str) -> str:
        """Write a file into this node's config dir atomically (rename), return its path."""
        path = os.path.join(self.config_dir, filename)
        tmp = os.path.join(self.config_dir, f".{filename}.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)
        return path


class Lab:
    def __init__(self, name: str = "lab", nodes: int = 2, pods_per_node: int = 2, plain_per_node: int = 1,
                 build_dir: str | None = None, start_daemons: bool = True, enroll: bool = True,
                 servers: bool = True, workers: int | None = None, daemon_args=(), daemon_cpus: str | None = None,
                 log_level: str = "info", lab_id: str | None = None, persistent: bool = False,
                 cert_ttl: str | None = None, trust_domain: str = mtls.DEFAULT_TRUST_DOMAIN, enroll_skip=(),
                 ca_mode: str = "plugin", kubeconfig: str | None = None):
        if not 1 <= nodes <= 200 or not 0 <= pods_per_node <= 89 or not 0 <= plain_per_node <= 50:
            raise LabError("lab shape out of range (nodes 1-200, pods_per_node 0-89, plain_per_node 0-50)")
        self.name = name
        self.n_nodes, self.pods_per_node, self.plain_per_node = nodes, pods_per_node, plain_per_node
        self.build_dir = os.path.abspath(build_dir or default_build_dir())
        self.ztunnel = os.environ.get("ZMESH_ZTUNNEL") or os.path.join(self.build_dir, "bin", "ztunnel")
        self.zmeshctl = os.environ.get("ZMESH_ZMESHCTL") or os.path.join(self.build_dir, "bin", "zmeshctl")
        self.start_daemons, self.do_enroll, self.do_servers = start_daemons, enroll, servers
        self.workers, self.daemon_args, self.daemon_cpus, self.log_level = workers, list(daemon_args), daemon_cpus, log_level
        self.persistent = persistent
        self.cert_ttl, self.trust_domain = cert_ttl, trust_domain
        self.enroll_skip = {n.split("/")[-1] for n in enroll_skip}
        if ca_mode not in ("plugin", "service"):
            raise LabError(f"ca_mode {ca_mode!r}: 'plugin' (shared --ca-dir) or 'service' (ztunnel ca serve)")
        self.ca_mode = ca_mode
        self.kubeconfig = os.path.abspath(kubeconfig) if kubeconfig else None
        self.id = lab_id or self._new_id()
        self.cgroup2 = cgroup2_root()
        self.cgroup = os.path.join(self.cgroup2, self.id)
        self.pin_dir = os.path.join(BPFFS, self.id)
        self.state_dir = os.path.join(LAB_STATE_ROOT, self.id)
        self.ca_dir = os.path.join(self.state_dir, "ca")          # the mesh's plug-in CA (--ca-dir)
        self.log_dir = os.path.join(LAB_LOG_ROOT, self.id)
        self.fab_netns = f"{self.id}-fab"
        self.fab_netns_path = _netns_path(self.fab_netns)
        # cluster mode's CA service (ca_mode="service")
        self.ca_netns = f"{self.id}-ca"
        self.ca_netns_path = _netns_path(self.ca_netns)
        self.ca_ip, self.ca_port = CA_SERVICE_IP, CA_SERVICE_PORT
        self.ca_addr = f"{self.ca_ip}:{self.ca_port}"
        self.ca_config_dir = os.path.join(self.state_dir, "ca-service", "config")
        self.ca_cgroup = os.path.join(self.cgroup, "ca-service")
        self.ca_log = os.path.join(self.log_dir, "ca-service.log")
        self.ca_proc: subprocess.Popen | None = None
        self.ca_starts = 0
        self.api_forward_cgroup = os.path.join(self.cgroup, "api-forward")
        self.api_forward_sock = os.path.join(self.state_dir, "apiserver.sock")
        self.api_forward_log = os.path.join(self.log_dir, "api-forward.log")
        self._procs: list[subprocess.Popen] = []
        self.nodes = [Node(self, i) for i in range(nodes)]
        self.services: dict[str, dict] = {}
        unknown = self.enroll_skip - {f"pod-{i}-{j}" for i in range(nodes) for j in range(pods_per_node)}
        if unknown:
            raise LabError(f"enroll_skip names no mesh pod: {sorted(unknown)}")
        for node in self.nodes:
            for j in range(pods_per_node):
                node.pods.append(Pod(self, node, f"pod-{node.index}-{j}", MESH_NS, j,
                                     f"10.244.{node.index}.{11 + j}", f"p{j}"))
            for k in range(plain_per_node):
                node.pods.append(Pod(self, node, f"plain-{node.index}-{k}", PLAIN_NS, k,
                                     f"10.244.{node.index}.{101 + k}", f"q{k}"))
        for node in self.nodes:
            for p in node.pods:
                if p.in_mesh:
                    self.services[f"svc-{node.index}-{p.index}"] = {
                        "namespace": MESH_NS, "ip": f"10.96.{node.index}.{11 + p.index}", "port": SVC_PORT,
                        "target": APP_PORT, "selector": {"app": p.name}, "pods": [p.name]}
        mesh = [p.name for p in self.pods if p.in_mesh]
        if mesh:
            self.services["echo"] = {"namespace": MESH_NS, "ip": "10.96.100.10", "port": SVC_PORT,
                                     "target": APP_PORT, "selector": {"role": "echo"}, "pods": mesh}
        plain = [p.name for p in self.pods if not p.in_mesh]
        if plain:
            self.services["plain-svc"] = {"namespace": PLAIN_NS, "ip": "10.96.200.10", "port": SVC_PORT,
                                          "target": APP_PORT, "selector": {"role": "plain"}, "pods": plain}

    # ------------------------------------------------------------ lookup
    @staticmethod
    def _new_id() -> str:
        while True:
            i = ID_PREFIX + secrets.token_hex(3)
            if not os.path.exists(os.path.join(LAB_STATE_ROOT, i)) and not os.path.exists(f"/run/netns/{i}-fab"):
                return i

    @property
    def mtls(self) -> bool:
        """Whether the daemons get the identity/CA flags (the binary under test knows --ca-dir)."""
        return mtls.daemon_has_mtls(self.ztunnel)

    @property
    def pods(self) -> list[Pod]:
        return [p for n in self.nodes for p in n.pods]

    @property
    def mesh_pods(self) -> list[Pod]:
        return [p for p in self.pods if p.in_mesh]

    @property
    def plain_pods(self) -> list[Pod]:
        return [p for p in self.pods if not p.in_mesh]

    def pod(self, name: str) -> Pod:
        name = name.split("/")[-1]
        for p in self.pods:
            if p.name == name:
                return p
        raise KeyError(f"no pod {name!r} in lab {self.id}; pods: {[p.name for p in self.pods]}")

    def node(self, name_or_index) -> Node:
        for n in self.nodes:
            if n.name == name_or_index or n.index == name_or_index:
                return n
        raise KeyError(name_or_index)

    def service(self, name: str) -> dict:
        return self.services[name]

    # ------------------------------------------------------------ Kubernetes view
    def kube_objects(self) -> list[dict]:
        objs = [kube.namespace(MESH_NS, True), kube.namespace(PLAIN_NS, False)]
        for p in self.pods:
            objs.append(kube.pod(p.name, p.namespace, p.node.name, p.ip, p.node.ip, p.labels,
                                 p.service_account, [APP_PORT]))
        for name, s in self.services.items():
            objs.append(kube.service(name, s["namespace"], s["ip"], s["selector"], [(s["port"], s["target"])]))
        return objs

    def write_config(self) -> None:
        text = ("# written by the zmesh node lab (tests/lab/zlab) for lab " + self.id + "\n"
                + kube.dump_all(self.kube_objects()))
        for n in self.nodes:
            os.makedirs(n.config_dir, exist_ok=True)
            n.write_config("cluster.yaml", text)
        if self.ca_mode == "service":  # the CA service authorizes nodes against the same view
            os.makedirs(self.ca_config_dir, exist_ok=True)
            path = os.path.join(self.ca_config_dir, "cluster.yaml")
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.rename(path + ".tmp", path)

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Lab":
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    def _save(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)
        d = {"id": self.id, "name": self.name, "nodes": self.n_nodes, "pods_per_node": self.pods_per_node,
             "plain_per_node": self.plain_per_node, "build_dir": self.build_dir,
             "owner_pid": None if self.persistent else os.getpid(),
             "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "log_dir": self.log_dir,
             "cert_ttl": self.cert_ttl, "trust_domain": self.trust_domain, "enroll_skip": sorted(self.enroll_skip),
             "ca_mode": self.ca_mode, "kubeconfig": self.kubeconfig,
             "daemons": {n.name: (n.daemon.pid if n.daemon else None) for n in self.nodes}}
        tmp = os.path.join(self.state_dir, "lab.json.tmp")
        with open(tmp, "w") as f:
            json.dump(d, f, indent=1)
        os.rename(tmp, os.path.join(self.state_dir, "lab.json"))

    def up(self) -> None:
        require_root()
        t0 = time.monotonic()
        log(f"lab {self.id} ({self.name}): {self.n_nodes} nodes x {self.pods_per_node} mesh pods "
            f"+ {self.plain_per_node} plain; logs in {self.log_dir}")
        os.makedirs(self.log_dir, exist_ok=True)
        self._save()
        self._build_network()
        os.makedirs(self.cgroup, exist_ok=True)
        for n in self.nodes:
            os.makedirs(n.cgroup, exist_ok=True)  # the --cgroup-root, also for a node without pods yet
            for p in n.pods:
                os.makedirs(p.cgroup, exist_ok=True)
            os.makedirs(n.daemon_cgroup, exist_ok=True)
            os.makedirs(n.run_dir, exist_ok=True)
        os.makedirs(self.pin_dir, exist_ok=True)
        if self.ca_mode == "service":
            self._make_cluster_ca()
        else:
            mtls.make_plugin_ca(self.ca_dir, cn=f"zlab root CA {self.id}")
        for n in self.nodes:
            os.makedirs(n.state_dir, mode=0o700, exist_ok=True)
        if self.kubeconfig:
            self._forward_api_server()
        else:
            self.write_config()
        if self.ca_mode == "service" and self.start_daemons:
            self.start_ca_service()
        if self.do_servers:
            for p in self.pods:
                p.start_server()
            for p in self.pods:
                wait_for(p.server_listening, 15, 0.05, f"podtool server in {p.full_name}")
        if self.start_daemons:
            for path in (self.ztunnel, self.zmeshctl):
                if not os.access(path, os.X_OK):
                    raise LabError(f"{path} not found: build first (scripts/build)")
            for n in self.nodes:
                n.start_daemon(wait=False)
            for n in self.nodes:
                n.wait_ready()
            if self.do_enroll:
                self.enroll_all()
        self._save()
        log(f"lab {self.id} up in {time.monotonic() - t0:.1f}s")

    # ------------------------------------------------------------ cluster mode's CA service
    def _make_cluster_ca(self) -> None:
        """`ztunnel ca init` for the CA dir, `ztunnel ca issue-node` for every node's credentials."""
        if not os.access(self.ztunnel, os.X_OK):
            raise LabError(f"{self.ztunnel} not found: build first (scripts/build)")
        run([self.ztunnel, "ca", "init", "--dir", self.ca_dir, "--trust-domain", self.trust_domain], timeout=30)
        for n in self.nodes:
            run([self.ztunnel, "ca", "issue-node", "--ca-dir", self.ca_dir, "--node", n.name,
                 "--out", n.ca_credentials_dir, "--trust-domain", self.trust_domain], timeout=30)

    def ca_service_argv(self) -> list[str]:
        cmd = [self.ztunnel, "ca", "serve", "--listen", self.ca_addr, "--ca-dir", self.ca_dir,
               "--config-dir", self.ca_config_dir, "--trust-domain", self.trust_domain, "--log-level", self.log_level]
        return ["sh", "-c", 'echo $$ > "$1" && ns="$2" && shift 2 && exec nsenter --net="$ns" -- "$@"',
                "zlab-ca", os.path.join(self.ca_cgroup, "cgroup.procs"), self.ca_netns_path, *cmd]

    def start_ca_service(self, timeout: float = 15.0) -> None:
        """Start `ztunnel ca serve` in the CA netns; returns once it logged that it serves."""
        if self.ca_proc is not None and self.ca_proc.poll() is None:
            raise LabError(f"CA service already running (pid {self.ca_proc.pid})")
        os.makedirs(self.ca_cgroup, exist_ok=True)
        self.ca_starts += 1
        mark = f"===== zlab: ca serve start #{self.ca_starts} at {time.strftime('%H:%M:%S')} ====="
        with open(self.ca_log, "a") as out:
            out.write(mark + "\n")
            out.flush()
            self.ca_proc = subprocess.Popen(self.ca_service_argv(), stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

        def serving():
            if self.ca_proc.poll() is not None:
                raise LabError(f"ztunnel ca serve exited with {self.ca_proc.returncode}:\n{self.ca_log_text()[-2000:]}")
            text = self.ca_log_text()
            return "ca: serving" in text[text.rfind(mark):]
        wait_for(serving, timeout, 0.05, "ztunnel ca serve to listen")

    def stop_ca_service(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        p = self.ca_proc
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(sig)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            raise LabError(f"ztunnel ca serve did not exit within {timeout}s of signal {sig}")

    def ca_log_text(self) -> str:
        try:
            with open(self.ca_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # ------------------------------------------------------------ Kubernetes API mode
    def api_server_address(self) -> tuple[str, int] | None:
        """(host, port) of the kubeconfig's server when it is on loopback, else None."""
        with open(self.kubeconfig) as f:
            m = re.search(r'server:\s*"?https?://(127\.0\.0\.1|localhost|\[::1\]):(\d+)', f.read())
        return (m.group(1), int(m.group(2))) if m else None

    def _forward_api_server(self, timeout: float = 10.0) -> None:
        """Make a loopback API server reachable at the same host:port inside every node's netns."""
        addr = self.api_server_address()
        if addr is None:
            return  # not on loopback: reachable (or not) by routing, as in a real cluster
        host, port = addr
        os.makedirs(self.api_forward_cgroup, exist_ok=True)
        procs = os.path.join(self.api_forward_cgroup, "cgroup.procs")
        out = open(self.api_forward_log, "a")
        try:
            if os.path.exists(self.api_forward_sock):
                os.unlink(self.api_forward_sock)
            self._procs.append(subprocess.Popen(
                ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "zlab-api-forward", procs,
                 "socat", f"UNIX-LISTEN:{self.api_forward_sock},fork,mode=600", f"TCP:127.0.0.1:{port}"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
            wait_for(lambda: os.path.exists(self.api_forward_sock), timeout, 0.05, "the API forwarder's socket")
            for n in self.nodes:
                self._procs.append(subprocess.Popen(
                    ["sh", "-c", 'echo $$ > "$1" && ns="$2" && shift 2 && exec nsenter --net="$ns" -- "$@"',
                     "zlab-api-forward", procs, n.netns_path,
                     "socat", f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr",
                     f"UNIX-CONNECT:{self.api_forward_sock}"],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
        finally:
            out.close()

        def reachable(n: Node) -> bool:
            def probe() -> bool:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    return True
            return in_netns(n.netns_path, probe)
        for n in self.nodes:
            wait_for(lambda: reachable(n), timeout, 0.05, f"the API server at {host}:{port} from {n.name}")

    def enroll_all(self) -> None:
        for p in self.mesh_pods:
            if p.name not in self.enroll_skip:
                p.node.enroll(p)

    def _build_network(self) -> None:
        fab = self.fab_netns
        ip("netns", "add", fab)
        ip("-n", fab, "link", "set", "lo", "up")
        ip("-n", fab, "link", "add", "br0", "type", "bridge")
        ip("-n", fab, "link", "set", "br0", "up")
        for n in self.nodes:
            ip("netns", "add", n.netns)
            for k, v in (("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.rp_filter", "0"),
                         ("net.ipv4.conf.default.rp_filter", "0")):
                run(["nsenter", f"--net={n.netns_path}", "sysctl", "-qw", f"{k}={v}"])
            ip("-n", n.netns, "link", "set", "lo", "up")
            ip("link", "add", "eth0", "netns", n.netns, "type", "veth", "peer", "name", f"n{n.index}", "netns", fab)
            ip("-n", fab, "link", "set", f"n{n.index}", "master", "br0", "up")
            ip("-n", n.netns, "addr", "add", f"{n.ip}/24", "dev", "eth0")
            ip("-n", n.netns, "link", "set", "eth0", "up")
            for p in n.pods:
                ip("netns", "add", p.netns)
                ip("-n", p.netns, "link", "set", "lo", "up")
                ip("link", "add", "eth0", "netns", p.netns, "type", "veth", "peer", "name", p.ifname, "netns", n.netns)
                ip("-n", p.netns, "addr", "add", f"{p.ip}/32", "dev", "eth0")
                ip("-n", p.netns, "link", "set", "eth0", "up")
                ip("-n", p.netns, "route", "add", n.gateway, "dev", "eth0", "scope", "link")
                ip("-n", p.netns, "route", "add", "default", "via", n.gateway, "dev", "eth0")
                ip("-n", n.netns, "addr", "add", f"{n.gateway}/32", "dev", p.ifname)
                ip("-n", n.netns, "link", "set", p.ifname, "up")
                ip("-n", n.netns, "route", "add", f"{p.ip}/32", "dev", p.ifname)
        for n in self.nodes:
            for m in self.nodes:
                if m is not n:
                    ip("-n", n.netns, "route", "add", m.pod_cidr, "via", m.ip)
        if self.ca_mode == "service":  # the CA service's host: one more port on the fabric
            ip("netns", "add", self.ca_netns)
            ip("-n", self.ca_netns, "link", "set", "lo", "up")
            ip("link", "add", "eth0", "netns", self.ca_netns, "type", "veth", "peer", "name", "ca", "netns", fab)
            ip("-n", fab, "link", "set", "ca", "master", "br0", "up")
            ip("-n", self.ca_netns, "addr", "add", f"{self.ca_ip}/24", "dev", "eth0")
            ip("-n", self.ca_netns, "link", "set", "eth0", "up")

    def down(self) -> list[str]:
        """Tear everything down; never raises. Returns a list of what could not be removed."""
        problems: list[str] = []
        for n in self.nodes:
            note = n.exit_note()
            if note:
                problems.append(note)
        for n in self.nodes:           # graceful first, so the daemon can log its exit
            try:
                if n.daemon is not None and n.daemon.poll() is None:
                    n.stop_daemon(signal.SIGTERM, timeout=5)
                else:  # a lab re-loaded by scripts/lab: its daemons are not our children
                    pids = cgroup_procs(n.daemon_cgroup)
                    for pid in pids:
                        os.kill(pid, signal.SIGTERM)
                    if pids:
                        wait_for(lambda: not cgroup_procs(n.daemon_cgroup), 5, 0.1, f"{n.name} ztunnel to exit")
            except Exception as e:  # noqa: BLE001
                problems.append(f"{n.name} daemon: {e}")
        try:
            self.stop_ca_service(timeout=5)
        except Exception as e:  # noqa: BLE001
            problems.append(f"CA service: {e}")
        problems += cgroup_remove_tree(self.cgroup)
        for p in self._procs + [n.daemon for n in self.nodes] + [self.ca_proc]:
            kill_popen(p, signal.SIGKILL, wait=2)
        if os.path.isdir(self.pin_dir):
            shutil.rmtree(self.pin_dir, ignore_errors=True)
            if os.path.exists(self.pin_dir):
                problems.append(self.pin_dir)
        problems += delete_netns_with_prefix(self.id + "-")
        remove_cni_results(self.id)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        if problems:
            log(f"lab {self.id}: teardown left: {problems}")
        else:
            log(f"lab {self.id} torn down")
        return problems

    @classmethod
    def load(cls, lab_id: str) -> "Lab":
        """Re-create the Lab object of a running lab from its lab.json (for scripts/lab)."""
        with open(os.path.join(LAB_STATE_ROOT, lab_id, "lab.json")) as f:
            d = json.load(f)
        lab = cls(d["name"], d["nodes"], d["pods_per_node"], d["plain_per_node"], build_dir=d["build_dir"],
                  lab_id=d["id"], persistent=d["owner_pid"] is None, cert_ttl=d.get("cert_ttl"),
                  trust_domain=d.get("trust_domain", mtls.DEFAULT_TRUST_DOMAIN), enroll_skip=d.get("enroll_skip", ()),
                  ca_mode=d.get("ca_mode", "plugin"), kubeconfig=d.get("kubeconfig"))
        lab.log_dir = d.get("log_dir", lab.log_dir)
        lab.owner_pid = d["owner_pid"]
        return lab
