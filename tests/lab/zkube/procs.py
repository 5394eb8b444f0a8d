"""Where the harness's binaries are, how its processes start and die, and reaping what a killed
test left behind (every cluster keeps its state in <ZKUBE_ROOT>/<name>-<random>/cluster.json)."""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time

from .client import KubeError

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GO_MOD = os.path.join(REPO, "scripts", "k8s", "go.mod")
ZKUBE_ROOT = os.environ.get("ZKUBE_ROOT", "/tmp/zmesh-kube")            # data dirs (removed on stop)
ZKUBE_LOG_ROOT = os.environ.get("ZKUBE_LOG_ROOT", "/tmp/zmesh-kube-logs")  # logs (kept, newest 20)
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def pinned_versions() -> dict[str, str]:
    """The releases scripts/k8s/go.mod pins: {"kubernetes": "v1.x.y", "etcd": "v3.x.y"}."""
    want = {"k8s.io/kubernetes": "kubernetes", "go.etcd.io/etcd/server/v3": "etcd"}
    out = {}
    with open(GO_MOD) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] in want and parts[1].startswith("v") and "=>" not in parts:
                out.setdefault(want[parts[0]], parts[1])
    return out


def bin_dir() -> str:
    """Where scripts/setup-k8s put kube-apiserver, kubectl and etcd (ZKUBE_BIN_DIR overrides)."""
    if os.environ.get("ZKUBE_BIN_DIR"):
        return os.environ["ZKUBE_BIN_DIR"]
    cache = os.environ.get("ZMESH_K8S_CACHE", "/var/cache/zmesh/k8s")
    return os.path.join(cache, pinned_versions()["kubernetes"], "bin")


def binary(name: str) -> str:
    p = os.path.join(bin_dir(), name)
    if not os.access(p, os.X_OK):
        raise KubeError(f"{p} is missing: run scripts/setup-k8s (scripts/test does) to build the "
                        f"Kubernetes test binaries")
    return p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # If the test process is SIGKILLed, take etcd and the API server with it (reap_stale covers
    # the rest). Note: the signal follows the *thread* that started the process.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(cmd: list[str], log_path: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_die_with_parent)


def stop(p: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """SIGTERM (both shut down cleanly: etcd syncs, the API server drains), SIGKILL after timeout."""
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


def tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def prune_logs(keep: int = 20) -> None:
    try:
        dirs = sorted((os.path.join(ZKUBE_LOG_ROOT, d) for d in os.listdir(ZKUBE_LOG_ROOT)),
                      key=os.path.getmtime)
    except OSError:
        return
    for d in dirs[:-keep]:
        shutil.rmtree(d, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def write_state(data_dir: str, state: dict) -> None:
    tmp = os.path.join(data_dir, "cluster.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, os.path.join(data_dir, "cluster.json"))


def reap_stale() -> list[str]:
    """Remove clusters whose owning process is gone: kill their processes (only those whose
    command line names the cluster's data dir, so a reused pid is safe) and delete the dir."""
    reaped = []
    try:
        names = os.listdir(ZKUBE_ROOT)
    except OSError:
        return reaped
    for n in names:
        d = os.path.join(ZKUBE_ROOT, n)
        try:
            with open(os.path.join(d, "cluster.json")) as f:
                st = json.load(f)
        except (OSError, ValueError):
            # a dir without state is a cluster killed while starting; give it a minute to write one
            if time.time() - os.path.getmtime(d) < 60:
                continue
            st = {}
        if st.get("owner_pid") and _alive(st["owner_pid"]):
            continue
        for pid in st.get("pids", {}).values():
            if pid and d in _cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(d, ignore_errors=True)
        reaped.append(n)
    return reaped
