"""The demo's "a pod joins by itself" part: on node0, a new pod of namespace `mesh` gets its
network from a real CNI chain (Debian's bridge + host-local plugins, then build/bin/zmesh-cni),
run by cnitool exactly as a container runtime runs it. zmesh-cni hands the pod's network
namespace to node0's ztunnel, which enrolls it before the ADD returns: no `zmeshctl enroll`.
Then the pod label istio.io/dataplane-mode=none takes it out again, and CNI DEL cleans up.

The lab is standalone, so the "API server" is the config directory: the Pod object is written
there before the ADD (without an IP, as a new pod is), and its status IP after (as a kubelet
reports it). The Kubernetes version of the same flow is tests/e2e/test_cni.py."""
from __future__ import annotations

import json
import os
import subprocess

from zlab import MESH_NS, kube, metric_sum, wait_for
from zlab.cni import cnitool_container_id, cnitool_path
from zlab.host import ip
from zlab.lab import APP_PORT, Pod

PLUGIN_DIR = os.environ.get("ZMESH_CNI_PLUGIN_DIR", "/usr/lib/cni")
NAME = "web-cni"
SUBNET, RANGE_START, GATEWAY = "10.244.0.128/25", "10.244.0.200", "10.244.0.129"


class _Sandbox:
    """One pod sandbox on node0, made through CNI."""

    def __init__(self, lab):
        self.lab, self.node = lab, lab.node(0)
        base = os.path.join(lab.state_dir, "demo-cni")
        self.conf_dir, self.ipam_dir = os.path.join(base, "net.d"), os.path.join(base, "ipam")
        self.network = f"{lab.id}-demo"
        self.pod = Pod(lab, self.node, NAME, MESH_NS, 0, None, "eth0")
        self.pod.labels = {"app": NAME, "version": "v1"}
        self.pod.service_account = f"sa-{NAME}"
        self.added = False

    def conflist(self) -> dict:
        return {"cniVersion": "1.0.0", "name": self.network, "plugins": [
            {"type": "bridge", "bridge": "zcni0", "isGateway": True, "ipMasq": False,
             "ipam": {"type": "host-local", "dataDir": self.ipam_dir, "routes": [{"dst": "0.0.0.0/0"}],
                      "ranges": [[{"subnet": SUBNET, "rangeStart": RANGE_START, "gateway": GATEWAY}]]}},
            {"type": "zmesh-cni", "runDir": self.node.run_dir}]}

    def cnitool(self, verb: str) -> subprocess.CompletedProcess:
        p = self.pod
        env = dict(os.environ, NETCONFPATH=self.conf_dir, CNI_IFNAME="eth0",
                   CNI_PATH=f"{PLUGIN_DIR}:{os.path.join(self.lab.build_dir, 'bin')}",
                   CNI_ARGS=(f"IgnoreUnknown=1;K8S_POD_NAMESPACE={p.namespace};K8S_POD_NAME={p.name};"
                             f"K8S_POD_INFRA_CONTAINER_ID={cnitool_container_id(p.netns_path)}"))
        return subprocess.run(["nsenter", f"--net={self.node.netns_path}", cnitool_path(), verb, self.network,
                               p.netns_path], env=env, capture_output=True, text=True, timeout=60)

    def write_pod(self, pod_ip: str | None, labels: dict) -> None:
        obj = kube.pod(NAME, MESH_NS, self.node.name, pod_ip or "", self.node.ip, labels,
                       self.pod.service_account, [APP_PORT])
        if pod_ip is None:  # a pod the kubelet is still starting: no IP, not ready
            obj["status"] = {"phase": "Pending"}
        for n in self.lab.nodes:
            n.write_config("demo-cni-pod.yaml", kube.dump_all([obj]))

    def pod_status(self) -> dict:
        status = json.loads(self.node.zmeshctl("status", "-o", "json").stdout)
        return next(p for p in status.get("pods", []) if p["pod"] == self.pod.full_name)

    def cleanup(self) -> None:
        if self.pod.server is not None:
            self.pod.server.kill()
            self.pod.server.wait()
        if self.added:
            self.cnitool("del")
        ip("netns", "del", self.pod.netns, check=False)
        for n in self.lab.nodes:
            try:
                os.remove(os.path.join(n.config_dir, "demo-cni-pod.yaml"))
            except FileNotFoundError:
                pass


def show(lab) -> None:
    s = _Sandbox(lab)
    pod, node = s.pod, s.node
    os.makedirs(s.conf_dir, exist_ok=True)
    with open(os.path.join(s.conf_dir, "10-demo.conflist"), "w") as f:
        json.dump(s.conflist(), f, indent=1)
    try:
        s.write_pod(None, pod.labels)
        wait_for(lambda: any(w["uid"] == pod.full_name for w in node.config_dump()["workloads"]), 10, 0.1,
                 f"{pod.full_name} in node0's view")
        print(f"  conflist on {node.name}: bridge (host-local {SUBNET}) -> zmesh-cni (runDir {node.run_dir})")
        ip("netns", "add", pod.netns)
        ip("-n", pod.netns, "link", "set", "lo", "up")  # containerd's own loopback network does this first
        cp = s.cnitool("add")
        if cp.returncode != 0:
            raise RuntimeError(f"CNI ADD failed ({cp.returncode}): {cp.stdout}{cp.stderr}")
        s.added = True
        result = json.loads(cp.stdout)
        pod.ip = result["ips"][0]["address"].split("/")[0]
        print(f"  $ cnitool add {s.network} {pod.netns_path}   (pod {pod.full_name}, namespace mesh is ambient)")
        print(f"    -> eth0 {pod.ip}; zmesh-cni: " + open(os.path.join(node.run_dir, "cni.log")).read()
              .strip().splitlines()[-1].split(": ", 1)[1])
        s.write_pod(pod.ip, pod.labels)  # the kubelet reports the pod's IP
        os.makedirs(pod.cgroup, exist_ok=True)
        pod.start_server()
        wait_for(pod.server_listening, 15, 0.05, f"podtool server in {pod.full_name}")
        entry = s.pod_status()
        print(f"  zmeshctl status: {pod.full_name} enrolled={'yes' if entry['enrolled'] else 'no'} "
              f"({entry['reason']}), no zmeshctl enroll was run")

        src = lab.pod("pod-1-0")
        metric = "istio_tcp_connections_opened_total"
        before = metric_sum(node.metrics(), metric, destination_workload=NAME,
                            connection_security_policy="mutual_tls")
        who = src.who(pod.ip, APP_PORT)
        wait_for(lambda: metric_sum(node.metrics(), metric, destination_workload=NAME,
                                    connection_security_policy="mutual_tls") > before, 10, 0.1,
                 "the HBONE connection in node0's metrics")
        print(f"  {src.full_name} (node1) -> {pod.ip}:{APP_PORT}: answered by {who['pod']} over HBONE "
              f"(node0 counts it with connection_security_policy=\"mutual_tls\")")

        s.write_pod(pod.ip, {**pod.labels, "istio.io/dataplane-mode": "none"})
        wait_for(lambda: not s.pod_status()["enrolled"], 10, 0.1, f"{pod.full_name} to leave the mesh")
        print(f"  pod labelled istio.io/dataplane-mode=none -> ztunnel unenrolled it: {s.pod_status()['reason']}")
        print("  zmeshctl status, pods of node0:")
        text = node.zmeshctl("status").stdout
        table = text[text.index("pods on this node"):].rstrip()
        print("    " + table.replace("\n", "\n    "))
    finally:
        s.cleanup()
