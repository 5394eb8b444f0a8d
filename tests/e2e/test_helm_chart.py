"""The Helm chart charts/zmesh: `helm lint --strict`, `helm template` over several values sets, every
rendered object checked against Kubernetes and Istio schemas (chart_schema.mjs), the DaemonSet's
contract (what the issue asks of it), and a smoke test that runs the real daemon with exactly the
capabilities the rendered DaemonSet grants, and with each of them taken away, and the rendered
install-cni init container's command and the ztunnel container's preStop uninstall, each with its
container's securityContext, on directories standing in for the node's CNI directories.

helm and the schema checkers come from scripts/setup-helm (run here when they are missing), so this
test never skips.
"""
from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

from zlab.host import cgroup2_root, cgroup_remove_tree, http_get, ip  # noqa: E402
from zlab.kube import to_yaml  # noqa: E402

CHART = os.path.join(ROOT, "charts", "zmesh")
CACHE = os.environ.get("ZMESH_HELM_CACHE", "/var/cache/zmesh/helm")
HELM = os.path.join(CACHE, "bin", "helm")
MODULES = os.path.join(CACHE, "node", "node_modules")
SCHEMA_CHECK = os.path.join(HERE, "chart_schema.mjs")
# Istio's own CRD file, read in place (the repo carries no copy of it).
ISTIO_CRDS = os.environ.get("ZMESH_ISTIO_CRDS", os.path.join(ROOT, "..", "shared", "data", "istio-crds", "crd-all.gen.yaml"))
BUILD = os.environ.get("ZMESH_BUILD_DIR", os.path.join(ROOT, "build"))
ZTUNNEL = os.path.join(BUILD, "bin", "ztunnel")
ZMESHCTL = os.path.join(BUILD, "bin", "zmeshctl")
ZMESH_CNI = os.path.join(BUILD, "bin", "zmesh-cni")
NS = "zmesh-system"


@pytest.fixture(scope="module", autouse=True)
def tools():
    if not (os.access(HELM, os.X_OK) and os.path.isdir(os.path.join(MODULES, "kubernetes-models"))):
        subprocess.run([os.path.join(ROOT, "scripts", "setup-helm")], check=True, timeout=600)
    assert os.path.isfile(ISTIO_CRDS), f"Istio's CRD file not found at {ISTIO_CRDS} (set ZMESH_ISTIO_CRDS)"


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    cp = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120,
                        env={**os.environ, "HELM_CACHE_HOME": "/tmp/zmesh-helm-home/cache",
                             "HELM_CONFIG_HOME": "/tmp/zmesh-helm-home/config",
                             "HELM_DATA_HOME": "/tmp/zmesh-helm-home/data"})
    if check and cp.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}")
    return cp


CUSTOM_VALUES = {
    "image": {"repository": "registry.example.internal/mesh/ztunnel", "tag": "1.2.3-test", "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "regcred"}],
    "ztunnel": {
        "logLevel": "debug", "workers": 4, "extraArgs": ["--hbone-max-streams", "50"],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": 2, "memory": "2Gi"}},
        "podAnnotations": {"example.com/team": "mesh"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "mesh", "effect": "NoSchedule"}],
    },
    "host": {"cgroupSubtree": "kubepods.slice", "bpfPinDir": "zmesh-test"},
    "cni": {"binDir": "/var/lib/cni/bin", "confDir": "/var/lib/cni/net.d", "excludeNamespaces": ["kube-system", "infra"]},
    "serviceAccount": {"name": "mesh-node"},
}

# name -> (helm args, kinds that must be rendered, kinds that must not)
VARIANTS = {
    "defaults": ([], {"DaemonSet", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"},
                 {"Deployment", "Service", "CustomResourceDefinition", "PeerAuthentication"}),
    "ca-cluster": (["--set", "ca.mode=cluster", "--set", "ca.nodeCredentials.nodes={node-a,node-b}"],
                   {"DaemonSet", "Deployment", "Service"}, {"CustomResourceDefinition"}),
    "ca-embedded": (["--set", "ca.mode=embedded"], {"DaemonSet"}, {"Deployment", "Secret"}),
    "crds-on": (["--set", "crds.install=true", "--set-file", f"crds.file={ISTIO_CRDS}", "--set", "meshMtlsMode=STRICT"],
                {"DaemonSet", "CustomResourceDefinition", "PeerAuthentication"}, {"Deployment"}),
    "crds-off-policy": (["--set", "crds.install=false", "--set", "meshMtlsMode=PERMISSIVE"],
                        {"DaemonSet", "PeerAuthentication"}, {"CustomResourceDefinition"}),
    "custom": (["-f", "@custom"], {"DaemonSet"}, {"Deployment"}),
    "no-rbac": (["--set", "rbac.create=false", "--set", "serviceAccount.create=false"], {"DaemonSet"},
                {"ClusterRole", "ClusterRoleBinding", "ServiceAccount"}),
    "cni-off": (["--set", "cni.enabled=false"], {"DaemonSet"}, {"Deployment"}),
    "cni-no-exclusions": (["--set-json", "cni.excludeNamespaces=[]"], {"DaemonSet"}, {"Deployment"}),
}


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="zmesh-helm-")
    with open(os.path.join(d, "custom-values.yaml"), "w") as f:
        json.dump(CUSTOM_VALUES, f)  # JSON is YAML
    yield d
    shutil.rmtree(d, ignore_errors=True)


def variant_args(name: str, workdir: str) -> list[str]:
    return [os.path.join(workdir, "custom-values.yaml") if a == "@custom" else a for a in VARIANTS[name][0]]


def render(workdir: str, args: list[str], tag: str) -> tuple[str, list[dict]]:
    out = helm("template", "zmesh", CHART, "--namespace", NS, *args).stdout
    path = os.path.join(workdir, f"{tag}.yaml")
    with open(path, "w") as f:
        f.write(out)
    return path, load_yaml(path)


def load_yaml(path: str) -> list[dict]:
    """Parse a multi-document YAML file with the checker's own parser (js-yaml), as JSON."""
    code = ("const y=require(process.argv[1]);const fs=require('fs');"
            "process.stdout.write(JSON.stringify(y.loadAll(fs.readFileSync(process.argv[2],'utf8')).filter(Boolean)))")
    cp = subprocess.run(["node", "-e", code, os.path.join(MODULES, "js-yaml"), path],
                        capture_output=True, text=True, check=True, timeout=60)
    return json.loads(cp.stdout)


def schema_check(path: str) -> tuple[int, dict]:
    cp = subprocess.run(["node", SCHEMA_CHECK, "--modules", MODULES, "--istio-crds", ISTIO_CRDS, path],
                        capture_output=True, text=True, timeout=120)
    assert cp.stdout.strip(), f"chart_schema.mjs printed nothing (rc {cp.returncode}): {cp.stderr}"
    return cp.returncode, json.loads(cp.stdout)


def only(objs: list[dict], kind: str) -> dict:
    found = [o for o in objs if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


# ------------------------------------------------------------------------------------ lint + render
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_lint_strict(variant, workdir):
    cp = helm("lint", "--strict", CHART, "--namespace", NS, *variant_args(variant, workdir))
    assert "0 chart(s) failed" in cp.stdout, cp.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_objects_match_schemas(variant, workdir):
    path, objs = render(workdir, variant_args(variant, workdir), variant)
    rc, report = schema_check(path)
    bad = {o["id"]: o["errors"] for o in report["objects"] if o["errors"]}
    assert rc == 0 and not bad, f"schema errors in {variant}: {json.dumps(bad, indent=1)}"
    assert len(report["objects"]) == len(objs) > 0
    kinds = {o["kind"] for o in objs}
    _, must, must_not = VARIANTS[variant]
    assert must <= kinds, f"{variant}: missing {must - kinds}"
    assert not (must_not & kinds), f"{variant}: unexpected {must_not & kinds}"


def test_crds_pass_istio_definitions_through(workdir):
    """Only the kinds asked for, each one Istio's own (chart_schema.mjs compares the specs), kept on
    uninstall."""
    path, objs = render(workdir, ["--set", "crds.install=true", "--set-file", f"crds.file={ISTIO_CRDS}",
                                  "--set", "crds.kinds={PeerAuthentication,VirtualService}"], "crds-two")
    crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    assert sorted(c["spec"]["names"]["kind"] for c in crds) == ["PeerAuthentication", "VirtualService"]
    assert all(c["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep" for c in crds)
    assert schema_check(path)[0] == 0
    _, all_objs = render(workdir, VARIANTS["crds-on"][0], "crds-five")
    assert len([o for o in all_objs if o["kind"] == "CustomResourceDefinition"]) == 5


@pytest.mark.parametrize("args,message", [
    (["--set", "ztunnel.bogus=1"], "Additional property bogus is not allowed"),
    (["--set", "ca.mode=vault"], "ca.mode"),
    (["--set", "ca.mode=cluster"], "nodes"),
    (["--set", "crds.install=true"], "crds.file"),
    (["--set", "crds.install=true", "--set", "crds.file=kind: ConfigMap", "--set", "crds.kinds={Gateway}"], "crds.kinds"),
    (["--set", "ztunnel.certTtl=1day"], "certTtl"),
    (["--set", "host.runDir=relative/dir"], "runDir"),
    (["--set", "meshMtlsMode=strict"], "meshMtlsMode"),
    (["--set", "cni.binDir=opt/cni/bin"], "binDir"),
    (["--set", "cni.confDir="], "confDir"),
    (["--set", "cni.bogus=1"], "Additional property bogus is not allowed"),
    (["--set", "cni.enabled=yes"], "enabled"),
    (["--set", "cni.excludeNamespaces={Kube_System}"], "excludeNamespaces"),
])
def test_bad_values_are_refused(args, message):
    cp = helm("template", "zmesh", CHART, *args, check=False)
    assert cp.returncode != 0, f"helm template accepted {args}"
    assert message in cp.stderr, cp.stderr


def test_schema_check_catches_mistakes(workdir):
    """The checker is not a rubber stamp: a misspelled field, a wrong type, an unknown kind and a bad
    Istio enum in an otherwise valid render are each reported."""
    _, objs = render(workdir, VARIANTS["crds-off-policy"][0], "for-mutation")
    objs = copy.deepcopy(objs)
    ds = only(objs, "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPropogation"] = "HostToContainer"
    ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    ds["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"] = {"count": 1}
    only(objs, "PeerAuthentication")["spec"]["mtls"]["mode"] = "SOMETIMES"
    objs.append({"apiVersion": "zmesh.io/v1", "kind": "Mesh", "metadata": {"name": "x"}})
    path = os.path.join(workdir, "mutated.yaml")
    with open(path, "w") as f:
        f.write("\n---\n".join(json.dumps(o) for o in objs))
    rc, report = schema_check(path)
    errors = "\n".join(e for o in report["objects"] for e in o["errors"])
    assert rc == 1
    for needle in ("volumeMounts[0].mountPropogation: unknown field", "readOnlyRootFileSystem: unknown field",
                   "/spec/updateStrategy/rollingUpdate/maxSurge", "/spec/mtls/mode", "unknown kind zmesh.io/v1 Mesh"):
        assert needle in errors, f"{needle!r} not reported:\n{errors}"


# ------------------------------------------------------------------------------------ the contract
@pytest.fixture(scope="module")
def defaults(workdir) -> list[dict]:
    return render(workdir, [], "defaults-contract")[1]


def ztunnel_container(objs: list[dict]) -> dict:
    return only(objs, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]


def test_daemonset_contract(defaults):
    ds = only(defaults, "DaemonSet")
    pod = ds["spec"]["template"]
    spec = pod["spec"]
    c = ztunnel_container(defaults)
    assert spec["priorityClassName"] == "system-node-critical"
    assert {"operator": "Exists"} in spec["tolerations"]
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    sc = c["securityContext"]
    assert sc["privileged"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthz/ready", "port": 15021}
    ann = pod["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/port"] == "15020"
    assert ann["prometheus.io/path"] == "/stats/prometheus"
    assert c["resources"]["requests"] and c["resources"]["limits"]
    assert {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}} in c["env"]
    args = c["args"]
    assert "--in-cluster" in args and args[args.index("--node") + 1] == "$(NODE_NAME)"
    # Kubernetes refuses Bidirectional propagation in an unprivileged container.
    assert all(m.get("mountPropagation") != "Bidirectional" for m in c["volumeMounts"])
    host = {v["hostPath"]["path"]: v["name"] for v in spec["volumes"] if "hostPath" in v}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    for path in ("/sys/fs/bpf", "/sys/fs/cgroup", "/var/run/zmesh"):
        assert path in host, f"no hostPath {path}"
    assert mounts[host["/sys/fs/bpf"]]["mountPropagation"] == "HostToContainer"
    # The paths the daemon is told are the paths mounted.
    assert args[args.index("--bpf-pin-root") + 1].startswith(mounts[host["/sys/fs/bpf"]]["mountPath"] + "/")
    assert args[args.index("--cgroup-root") + 1].startswith(mounts[host["/sys/fs/cgroup"]]["mountPath"])
    assert args[args.index("--run-dir") + 1] == mounts[host["/var/run/zmesh"]]["mountPath"]
    writable = {m["mountPath"] for m in c["volumeMounts"] if not m.get("readOnly")}
    assert args[args.index("--state-dir") + 1] in writable


def init_container(objs: list[dict], name: str = "install-cni") -> dict | None:
    spec = only(objs, "DaemonSet")["spec"]["template"]["spec"]
    found = [c for c in spec.get("initContainers", []) if c["name"] == name]
    return found[0] if found else None


def mounted_host_paths(objs: list[dict], container: dict) -> dict[str, dict]:
    """hostPath -> the container's volumeMount of it."""
    volumes = {v["name"]: v for v in only(objs, "DaemonSet")["spec"]["template"]["spec"]["volumes"]}
    return {volumes[m["name"]]["hostPath"]["path"]: m for m in container.get("volumeMounts", [])
            if "hostPath" in volumes[m["name"]]}


def flag(args: list[str], name: str) -> str:
    assert name in args, f"{name} not in {args}"
    return args[args.index(name) + 1]


POD_UID_ENV = {"name": "POD_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}


def check_cni_wiring(objs: list[dict], bin_dir: str, conf_dir: str, excluded: list[str]) -> None:
    """The init container installs into the node's CNI directories (the hostPaths it mounts), as root
    with no capability; ztunnel's preStop uninstalls from the same directories, owner-checked."""
    ds_spec = only(objs, "DaemonSet")["spec"]["template"]["spec"]
    init = init_container(objs)
    assert init is not None, "no install-cni init container"
    assert init["image"] == ztunnel_container(objs)["image"], "the init container runs another image"
    assert init["command"] == ["zmesh-cni"] and init["args"][0] == "install"
    args = init["args"]
    mounts = mounted_host_paths(objs, init)
    assert flag(args, "--cni-bin-dir") == mounts[bin_dir]["mountPath"] and not mounts[bin_dir].get("readOnly")
    assert flag(args, "--cni-conf-dir") == mounts[conf_dir]["mountPath"] and not mounts[conf_dir].get("readOnly")
    # The runDir in the conflist is the daemon's, at the same path on the node and in both containers.
    c = ztunnel_container(objs)
    run_dir = flag(c["args"], "--run-dir")
    assert flag(args, "--run-dir") == run_dir == mounts[run_dir]["mountPath"]
    assert flag(args, "--exclude-namespaces") == ",".join(excluded)
    assert flag(args, "--owner-env") == "POD_UID" and POD_UID_ENV in init["env"]
    sc = init["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"]}, "the installer needs no capability"
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True and sc["runAsUser"] == 0
    volumes = {v["name"]: v for v in ds_spec["volumes"]}
    for path in (bin_dir, conf_dir):
        assert volumes[mounts[path]["name"]]["hostPath"] == {"path": path, "type": "Directory"}
    # Uninstall: ztunnel's preStop, the same directories mounted writable in ztunnel, owner-checked.
    stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert stop[:2] == ["zmesh-cni", "uninstall"]
    cmounts = mounted_host_paths(objs, c)
    assert flag(stop, "--cni-bin-dir") == cmounts[bin_dir]["mountPath"] and not cmounts[bin_dir].get("readOnly")
    assert flag(stop, "--cni-conf-dir") == cmounts[conf_dir]["mountPath"] and not cmounts[conf_dir].get("readOnly")
    assert flag(stop, "--run-dir") == run_dir
    # A preStop exec gets no $(VAR) expansion: the UID comes from the environment.
    assert flag(stop, "--owner-env") == "POD_UID" and POD_UID_ENV in c["env"]


def test_cni_contract(defaults, workdir):
    check_cni_wiring(defaults, "/opt/cni/bin", "/etc/cni/net.d", ["kube-system"])
    _, custom = render(workdir, variant_args("custom", workdir), "cni-custom")
    check_cni_wiring(custom, "/var/lib/cni/bin", "/var/lib/cni/net.d", ["kube-system", "infra"])
    _, none = render(workdir, VARIANTS["cni-no-exclusions"][0], "cni-no-exclusions-contract")
    check_cni_wiring(none, "/opt/cni/bin", "/etc/cni/net.d", [])
    # The node's /proc, read-only, is where ztunnel looks for running pods; pod netns where it is told.
    for objs in (defaults, custom):
        c = ztunnel_container(objs)
        mounts = mounted_host_paths(objs, c)
        assert flag(c["args"], "--proc-dir") == mounts["/proc"]["mountPath"] != "/proc"
        assert mounts["/proc"]["readOnly"] is True
        assert flag(c["args"], "--netns-dir") == mounts["/var/run/netns"]["mountPath"]


def test_cni_disabled(workdir):
    _, objs = render(workdir, VARIANTS["cni-off"][0], "cni-off-contract")
    assert init_container(objs) is None
    c = ztunnel_container(objs)
    assert "lifecycle" not in c
    paths = mounted_host_paths(objs, c)
    assert "/opt/cni/bin" not in paths and "/etc/cni/net.d" not in paths
    assert "/proc" in paths, "running pods are still found through /proc"


def test_rbac_is_read_only(defaults):
    role = only(defaults, "ClusterRole")
    granted = set()
    for rule in role["rules"]:
        assert set(rule["verbs"]) == {"get", "list", "watch"}, rule
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {
        ("", "namespaces"), ("", "pods"), ("", "services"), ("", "serviceaccounts"), ("", "configmaps"),
        ("discovery.k8s.io", "endpointslices"),
        ("networking.istio.io", "virtualservices"), ("networking.istio.io", "destinationrules"),
        ("security.istio.io", "peerauthentications"), ("security.istio.io", "authorizationpolicies"),
        ("security.istio.io", "requestauthentications"),
    }
    binding = only(defaults, "ClusterRoleBinding")
    sa = only(defaults, "ServiceAccount")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": NS}]
    assert only(defaults, "DaemonSet")["spec"]["template"]["spec"]["serviceAccountName"] == sa["metadata"]["name"]


def test_cluster_mode_wiring(workdir):
    _, objs = render(workdir, VARIANTS["ca-cluster"][0], "ca-wiring")
    dep, svc = only(objs, "Deployment"), only(objs, "Service")
    ca = dep["spec"]["template"]["spec"]["containers"][0]
    assert ca["args"][:2] == ["ca", "serve"] and "0.0.0.0:15012" in ca["args"]
    assert ca["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert svc["spec"]["ports"][0]["port"] == 15012
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    c = ztunnel_container(objs)
    assert c["args"][c["args"].index("--ca-addr") + 1] == f"{svc['metadata']['name']}.{NS}.svc:15012"
    creds = next(m for m in c["volumeMounts"] if m["name"] == "node-credentials")
    assert creds["subPathExpr"] == "$(NODE_NAME)"
    assert c["args"][c["args"].index("--ca-credentials") + 1] == creds["mountPath"]
    vol = next(v for v in only(objs, "DaemonSet")["spec"]["template"]["spec"]["volumes"] if v["name"] == "node-credentials")
    assert {i["path"] for i in vol["secret"]["items"]} == {
        f"{n}/{f}" for n in ("node-a", "node-b") for f in ("node-cert.pem", "node-key.pem", "root-cert.pem")}


# ------------------------------------------------------------------------------------ smoke test
def granted_caps(objs: list[dict]) -> tuple[list[str], dict]:
    sc = ztunnel_container(objs)["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    return sorted(c.lower().removeprefix("cap_") for c in sc["capabilities"].get("add", [])), sc


class NodeUnderTest:
    """One 'node': a netns for the daemon and one for a pod, cgroups, pins, run/state/config dirs,
    all named by a random id and removed afterwards."""

    def __init__(self):
        self.id = "zhc" + secrets.token_hex(3)
        self.node_ns, self.pod_ns = f"{self.id}-node", f"{self.id}-pod"
        self.dir = tempfile.mkdtemp(prefix=f"zmesh-{self.id}-")
        self.cgroup = os.path.join(cgroup2_root(), f"zmesh-{self.id}")
        self.pins = f"/sys/fs/bpf/zmesh-{self.id}"
        self.pod_ip = f"10.254.{secrets.randbelow(250) + 1}.2"
        self.daemon: subprocess.Popen | None = None
        for d in ("config", "run", "state"):
            os.makedirs(os.path.join(self.dir, d))
        os.makedirs(os.path.join(self.cgroup, "pods"))
        os.makedirs(os.path.join(self.cgroup, "daemon"))
        ip("netns", "add", self.node_ns)
        ip("netns", "add", self.pod_ns)
        ip("-n", self.node_ns, "link", "set", "lo", "up")
        ip("-n", self.pod_ns, "link", "set", "lo", "up")
        ip("-n", self.node_ns, "link", "add", "veth-pod", "type", "veth", "peer", "name", "eth0", "netns", self.pod_ns)
        ip("-n", self.pod_ns, "addr", "add", f"{self.pod_ip}/24", "dev", "eth0")
        ip("-n", self.pod_ns, "link", "set", "eth0", "up")
        ip("-n", self.node_ns, "link", "set", "veth-pod", "up")
        objs = [
            {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "mesh", "labels": {"istio.io/dataplane-mode": "ambient"}}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "mesh"},
             "spec": {"nodeName": self.id, "serviceAccountName": "default",
                      "containers": [{"name": "app", "image": "app"}]},
             "status": {"phase": "Running", "podIP": self.pod_ip, "podIPs": [{"ip": self.pod_ip}],
                        "conditions": [{"type": "Ready", "status": "True"}]}},
        ]
        with open(os.path.join(self.dir, "config", "cluster.yaml"), "w") as f:
            f.write("\n---\n".join(to_yaml(o) for o in objs))

    @property
    def log(self) -> str:
        return os.path.join(self.dir, "ztunnel.log")

    def start(self, caps: list[str], sc: dict) -> None:
        """ztunnel as the container would run it: uid/gid from the securityContext, capability
        bounding, permitted, effective and inheritable sets = the granted list, no_new_privs when
        allowPrivilegeEscalation is false, a container's small RLIMIT_MEMLOCK (64 KiB), read-only
        mounts where the chart mounts read-only."""
        capset = ",".join(["-all"] + [f"+{c}" for c in caps])
        uid, gid = sc.get("runAsUser", 0), sc.get("runAsGroup", sc.get("runAsUser", 0))
        setpriv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                   f"--inh-caps={capset}", f"--bounding-set={capset}"]
        if uid != 0:
            setpriv.append(f"--ambient-caps={capset}")
        if sc.get("allowPrivilegeEscalation") is False:
            setpriv.append("--no-new-privs")
        run, state = os.path.join(self.dir, "run"), os.path.join(self.dir, "state")
        cmd = [ZTUNNEL, "--node", self.id, "--config-dir", os.path.join(self.dir, "config"),
               "--cgroup-root", os.path.join(self.cgroup, "pods"), "--bpf-pin-root", self.pins,
               "--run-dir", run, "--state-dir", state, "--workers", "1", "--access-log", "-"]
        # The mounts as the container has them, in a private mount namespace: the root filesystem and
        # the cgroup v2 tree read-only (readOnlyRootFilesystem, the cgroup mount's readOnly); writable
        # only the run and state directories (hostPaths) and bpffs.
        mounts = ('mount --bind "$1" "$1" && mount --bind "$2" "$2" && mount -o remount,bind,ro / && '
                  'mount -o remount,bind,ro "$3" && shift 3 && exec "$@"')
        argv = ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "zhc",
                os.path.join(self.cgroup, "daemon", "cgroup.procs"),
                "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", mounts, "zhc", run, state, cgroup2_root(),
                "nsenter", f"--net=/run/netns/{self.node_ns}", "prlimit", "--memlock=65536",
                *setpriv, "--", *cmd]
        with open(self.log, "a") as out:
            out.write(f"===== start with capabilities {caps} =====\n")
            out.flush()
            self.daemon = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait(5)
        self.daemon = None

    def effective_caps(self) -> int:
        with open(f"/proc/{self.daemon.pid}/status") as f:
            return int(next(l for l in f if l.startswith("CapEff:")).split()[1], 16)

    def wait_ready(self, timeout: float = 20.0) -> str | None:
        """None when :15021/healthz/ready answers 200, else why not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                return f"ztunnel exited with {self.daemon.returncode}"
            try:
                if http_get(f"/run/netns/{self.node_ns}", "127.0.0.1", 15021, "/healthz/ready", timeout=2)[0] == 200:
                    return None
            except OSError:
                pass
            time.sleep(0.1)
        return f"not ready within {timeout}s"

    def zmeshctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([ZMESHCTL, "--run-dir", os.path.join(self.dir, "run"), "--bpf-pin-root", self.pins, *args],
                              capture_output=True, text=True, timeout=30)

    def enrolled(self) -> list[str]:
        cp = self.zmeshctl("-o", "json", "status")
        return [e["pod"] for e in json.loads(cp.stdout)["enrolled"]] if cp.returncode == 0 else []

    def reset(self) -> None:
        self.stop()
        shutil.rmtree(self.pins, ignore_errors=True)
        for d in ("run", "state"):
            shutil.rmtree(os.path.join(self.dir, d), ignore_errors=True)
            os.makedirs(os.path.join(self.dir, d))

    def works_with(self, caps: list[str], sc: dict) -> str | None:
        """Everything the daemon does on a node, from a clean slate: load and pin the BPF datapath and
        become ready, enroll a pod (setns, in-pod listeners with SO_MARK, sk_lookup attach), then
        restart and take the pins and the pod back (link update, netns re-opened by path).
        None when all of it worked, else what failed."""
        self.reset()
        self.start(caps, sc)
        if why := self.wait_ready():
            return f"first start: {why}"
        cp = self.zmeshctl("enroll", "--pod", "mesh/app", "--netns", f"/run/netns/{self.pod_ns}")
        if cp.returncode != 0:
            return f"enroll: {cp.stderr.strip() or cp.stdout.strip()}"
        if self.enrolled() != ["mesh/app"]:
            return f"enroll: status shows {self.enrolled()}"
        self.stop()
        self.start(caps, sc)
        if why := self.wait_ready():
            return f"restart: {why}"
        if self.enrolled() != ["mesh/app"]:
            return f"restart: pod not re-enrolled (status shows {self.enrolled()})"
        return None

    def tail(self, n: int = 40) -> str:
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.pins, ignore_errors=True)
        cgroup_remove_tree(self.cgroup)
        for ns in (self.pod_ns, self.node_ns):
            ip("netns", "del", ns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def node():
    for b in (ZTUNNEL, ZMESHCTL):
        assert os.access(b, os.X_OK), f"{b} not built (scripts/build)"
    n = NodeUnderTest()
    try:
        yield n
    finally:
        n.close()


CAP_BITS = {"net_admin": 12, "sys_admin": 21, "net_raw": 13, "bpf": 39, "perfmon": 38, "sys_resource": 24,
            "sys_ptrace": 19, "dac_override": 1, "chown": 0, "fowner": 3, "setuid": 7, "setgid": 6}


def test_daemon_runs_with_exactly_the_granted_capabilities(defaults, node):
    caps, sc = granted_caps(defaults)
    assert caps, "the DaemonSet grants no capability at all"
    assert all(c in CAP_BITS for c in caps), f"unknown capability in {caps}"
    why = node.works_with(caps, sc)
    assert why is None, f"ztunnel with {caps} (uid {sc.get('runAsUser', 0)}): {why}\n{node.tail()}"
    want = sum(1 << CAP_BITS[c] for c in caps)
    assert node.effective_caps() == want, f"CapEff {node.effective_caps():#x}, granted {want:#x}"
    node.stop()


def test_each_granted_capability_is_needed(defaults, node):
    """Least privilege both ways: take any one capability away and the daemon no longer works."""
    caps, sc = granted_caps(defaults)
    # Without this the loop below would pass for a harness that breaks every run.
    assert node.works_with(caps, sc) is None, f"ztunnel does not work even with all of {caps}\n{node.tail()}"
    unneeded = []
    for cap in caps:
        why = node.works_with([c for c in caps if c != cap], sc)
        if why is None:
            unneeded.append(cap)
        node.stop()
    assert not unneeded, f"the DaemonSet grants {unneeded}, which the daemon works without"


# ------------------------------------------------------------------------------------ CNI install smoke test
def as_container(sc: dict, caps: list[str], writable: list[str], argv: list[str], env: dict[str, str]
                 ) -> subprocess.CompletedProcess:
    """argv as a container with securityContext `sc` would run it: its uid/gid, capability sets =
    `caps`, no_new_privs when allowPrivilegeEscalation is false, and with readOnlyRootFilesystem every
    path read-only but the `writable` directories (its volume mounts), in a private mount namespace."""
    capset = ",".join(["-all"] + [f"+{c}" for c in caps])
    uid, gid = sc.get("runAsUser", 0), sc.get("runAsGroup", sc.get("runAsUser", 0))
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
               f"--inh-caps={capset}", f"--bounding-set={capset}"]
    if uid != 0:
        setpriv.append(f"--ambient-caps={capset}")
    if sc.get("allowPrivilegeEscalation") is False:
        setpriv.append("--no-new-privs")
    script = 'n=$1; shift; i=0; while [ $i -lt $n ]; do mount --bind "$1" "$1"; shift; i=$((i+1)); done; '
    if sc.get("readOnlyRootFilesystem"):
        script += ('mount -o remount,bind,ro / && '
                   '{ ! mountpoint -q /tmp || mount -o remount,bind,ro /tmp; } && ')
    script += 'exec "$@"'
    full = ["unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", script, "zhc", str(len(writable)), *writable, *setpriv, "--", *argv]
    return subprocess.run(full, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})


def container_caps(container: dict) -> list[str]:
    sc = container["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    return sorted(c.lower().removeprefix("cap_") for c in sc["capabilities"].get("add", []))


BRIDGE_PORTMAP = {
    "cniVersion": "1.0.0", "name": "k8s-pod-network",
    "plugins": [
        {"type": "bridge", "bridge": "cni0", "isGateway": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]]}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}


def test_cni_install_and_uninstall_with_the_containers_securitycontexts(defaults):
    """The rendered install-cni command, run with the init container's securityContext (root, no
    capability, read-only root filesystem) on directories standing in for the node's /opt/cni/bin,
    /etc/cni/net.d and run directory, chains zmesh-cni into the conflist there; the ztunnel container's
    preStop command, with ztunnel's securityContext, leaves it while a newer pod owns the installation
    and removes it when this pod is the owner."""
    assert os.access(ZMESH_CNI, os.X_OK), f"{ZMESH_CNI} not built (scripts/build)"
    init, c = init_container(defaults), ztunnel_container(defaults)
    d = tempfile.mkdtemp(prefix="zmesh-helm-cni-")
    try:
        node = {p: os.path.join(d, n) for p, n in ((flag(init["args"], "--cni-bin-dir"), "bin"),
                                                   (flag(init["args"], "--cni-conf-dir"), "net.d"),
                                                   (flag(init["args"], "--run-dir"), "run"))}
        for path in node.values():
            os.makedirs(path)
        conflist = os.path.join(node[flag(init["args"], "--cni-conf-dir")], "10-k8s.conflist")
        with open(conflist, "w") as f:
            json.dump(BRIDGE_PORTMAP, f, indent=2)
        os.chmod(conflist, 0o644)

        def on_node(argv: list[str]) -> list[str]:
            assert argv[0] == "zmesh-cni"
            return [ZMESH_CNI] + [node.get(a, a) for a in argv[1:]]

        # The harness really takes every capability away (CapEff 0) and makes / read-only.
        probe = as_container(init["securityContext"], container_caps(init), list(node.values()),
                             ["sh", "-c", "grep CapEff /proc/self/status; touch /tmp/zmesh-ro-probe-$$ 2>&1 || true"], {})
        assert "CapEff:\t0000000000000000" in probe.stdout, probe.stdout + probe.stderr
        assert "Read-only file system" in probe.stdout + probe.stderr, probe.stdout + probe.stderr

        install = on_node(init["command"] + init["args"])
        run_init = lambda uid: as_container(init["securityContext"], container_caps(init), list(node.values()),
                                            install, {"POD_UID": uid})
        cp = run_init("pod-a")
        assert cp.returncode == 0, f"install failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}"
        with open(conflist) as f:
            installed = json.load(f)
        ours = {"type": "zmesh-cni", "runDir": node[flag(init["args"], "--run-dir")],
                "excludeNamespaces": ["kube-system"]}
        assert installed == {**BRIDGE_PORTMAP, "plugins": BRIDGE_PORTMAP["plugins"] + [ours]}, cp.stdout
        assert oct(os.stat(conflist).st_mode & 0o7777) == oct(0o644)
        binary = os.path.join(node[flag(init["args"], "--cni-bin-dir")], "zmesh-cni")
        assert os.stat(binary).st_mode & 0o7777 == 0o755
        with open(binary, "rb") as a, open(ZMESH_CNI, "rb") as b:
            assert a.read() == b.read()
        # The installed binary answers as a CNI plugin.
        version = subprocess.run([binary], input='{"cniVersion":"1.0.0"}', capture_output=True, text=True,
                                 env={"CNI_COMMAND": "VERSION"}, timeout=10)
        assert version.returncode == 0 and "1.0.0" in json.loads(version.stdout)["supportedVersions"], version

        # A restart of the init container changes nothing.
        again = run_init("pod-a")
        assert again.returncode == 0 and all("unchanged" in l for l in again.stdout.splitlines()), again.stdout

        # Rolling update: the new pod (pod-b) installs, then the old one (pod-a) stops: the plugin stays.
        assert run_init("pod-b").returncode == 0
        stop = on_node(c["lifecycle"]["preStop"]["exec"]["command"])
        run_stop = lambda uid: as_container(c["securityContext"], container_caps(c), list(node.values()), stop,
                                            {"POD_UID": uid})
        cp = run_stop("pod-a")
        assert cp.returncode == 0 and "left zmesh-cni installed" in cp.stdout, cp.stdout + cp.stderr
        with open(conflist) as f:
            assert json.load(f) == installed
        assert os.path.exists(binary)

        # helm uninstall: the owner stops and nobody took over: entry and binary go, the rest as it was.
        cp = run_stop("pod-b")
        assert cp.returncode == 0, f"uninstall failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}"
        with open(conflist) as f:
            assert json.load(f) == BRIDGE_PORTMAP, cp.stdout
        assert not os.path.exists(binary), cp.stdout
        assert sorted(os.listdir(os.path.dirname(conflist))) == ["10-k8s.conflist"]
    finally:
        shutil.rmtree(d, ignore_errors=True)
