"""Host facts and small process helpers for the node lab (Python 3.11 stdlib only)."""
from __future__ import annotations

import ctypes
import os
import shlex
import subprocess
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
# ip, bpftool, sysctl live in sbin: make sure a minimal PATH (cron, CI) still finds them
for _d in ("/usr/local/sbin", "/usr/sbin", "/sbin"):
    if _d not in os.environ.get("PATH", "").split(":"):
        os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":" + _d
_libc = ctypes.CDLL(None, use_errno=True)

LAB_STATE_ROOT = "/run/zmesh-lab"          # per lab: <root>/<id>/ (config dirs, run dirs, lab.json)
LAB_LOG_ROOT = os.environ.get("ZLAB_LOG_ROOT", "/tmp/zmesh-lab-logs")  # kept after teardown
BPFFS = "/sys/fs/bpf"
ID_PREFIX = "zl"                            # lab ids: zl + 6 hex digits


class LabError(RuntimeError):
    pass


class StopWaiting(LabError):
    """Raised by a wait_for predicate when waiting longer cannot help (the process that was to
    write the awaited line exited): wait_for passes it on at once instead of retrying."""


def log(msg: str) -> None:
    if os.environ.get("ZLAB_QUIET") != "1":
        print(f"[zlab {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the node lab needs root (network namespaces, cgroups, BPF): run as root")


def cgroup2_root() -> str:
    """Where cgroup v2 is mounted (/sys/fs/cgroup on unified hosts, .../unified on hybrid)."""
    override = os.environ.get("ZMESH_CGROUP2")
    if override:
        return override
    best = None
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "cgroup2":
                if best is None or parts[1] == "/sys/fs/cgroup":
                    best = parts[1]
    if best is None:
        raise LabError("no cgroup v2 mount found in /proc/mounts: run scripts/setup")
    return best


def bpffs_mounted() -> bool:
    with open("/proc/mounts") as f:
        return any(l.split()[1:3] == [BPFFS, "bpf"] for l in f if len(l.split()) >= 3)


def run(cmd, check=True, timeout=60, capture=True, input=None, env=None) -> subprocess.CompletedProcess:
    """Run a command (list) and return the CompletedProcess; raise LabError with output on failure."""
    try:
        cp = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout, input=input, env=env)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timeout ({timeout}s): {shlex.join(map(str, cmd))}") from e
    if check and cp.returncode != 0:
        raise LabError(f"failed ({cp.returncode}): {shlex.join(map(str, cmd))}\n{cp.stdout or ''}{cp.stderr or ''}")
    return cp


def ip(*args, check=True) -> subprocess.CompletedProcess:
    return run(["ip", *args], check=check)


def log_text(path: str) -> str:
    """A process's log file, "" while it does not exist."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def log_tail(path: str, n: int = 40) -> str:
    """The last n lines of a log file, under a header naming it (for failure output)."""
    lines = log_text(path).splitlines()[-n:]
    return f"--- {path} (last {len(lines)} lines) ---\n" + "\n".join(lines)


def in_netns(netns_path: str, fn, *args, **kwargs):
    """Call fn in a fresh thread that has joined the network namespace (setns is per thread).
    Sockets created there stay in that namespace; the thread and its namespace go away after."""
    box: dict = {}

    def body():
        try:
            fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({netns_path}): {os.strerror(err)}")
            finally:
                os.close(fd)
            box["v"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["e"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box.get("v")


def http_get(netns_path: str, host: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET http://host:port/path from inside a network namespace; returns (status, body)."""
    import http.client

    def get():
        c = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    return in_netns(netns_path, get)


def wait_for(pred, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll pred() until truthy; return its value or raise LabError naming what timed out.
    Exceptions from pred() count as "not yet", except StopWaiting, which ends the wait."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except StopWaiting:
            raise
        except Exception as e:  # noqa: BLE001
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            raise LabError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


def cgroup_procs(cg: str) -> list[int]:
    try:
        with open(os.path.join(cg, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def cgroup_kill_tree(cg: str) -> None:
    """Kill every process in cg and below it (cgroup.kill where available, else SIGKILL each pid)."""
    if not os.path.isdir(cg):
        return
    killf = os.path.join(cg, "cgroup.kill")
    if os.path.exists(killf):
        try:
            with open(killf, "w") as f:
                f.write("1")
        except OSError:
            pass
    for dirpath, _dirs, _files in os.walk(cg):
        for pid in cgroup_procs(dirpath):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def cgroup_remove_tree(cg: str, timeout: float = 10.0) -> list[str]:
    """Kill everything in the subtree, then rmdir leaves first. Returns dirs that could not go."""
    if not os.path.isdir(cg):
        return []
    cgroup_kill_tree(cg)
    deadline = time.monotonic() + timeout
    dirs = [d for d, _s, _f in os.walk(cg)]
    left = []
    for d in sorted(dirs, key=lambda p: p.count("/"), reverse=True):
        while True:
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    left.append(d)
                    break
                cgroup_kill_tree(d)
                time.sleep(0.05)
    return left


def kill_popen(p: subprocess.Popen | None, sig: int = 15, wait: float = 5.0) -> None:
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        p.kill()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    except ProcessLookupError:
        pass
