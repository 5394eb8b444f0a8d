"""The binaries' edges: bad flags and missing privileges give a clear error and the right exit
code, and zmeshctl says so when no daemon answers."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("ZMESH_BUILD_DIR", Path(__file__).resolve().parents[2] / "build")) / "bin"


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, **kw)


def test_ztunnel_bad_flags_exit_2_naming_the_flag():
    r = run(str(BIN / "ztunnel"), "--node", "n1", "--config-dir", "/tmp")
    assert r.returncode == 2
    assert "--cgroup-root" in r.stderr
    r = run(str(BIN / "ztunnel"), "--node", "n1", "--config-dir", "/tmp", "--cgroup-root", "/tmp",
            "--stats-addr", "nonsense")
    assert r.returncode == 2
    assert "--stats-addr" in r.stderr


def test_ztunnel_help_lists_flags():
    r = run(str(BIN / "ztunnel"), "--help")
    assert r.returncode == 0
    for flag in ("--node", "--config-dir", "--cgroup-root", "--bpf-pin-root", "--run-dir"):
        assert flag in r.stdout


def cgroup2_mount() -> str:
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        if fields[2] == "cgroup2":
            return fields[1]
    raise AssertionError("no cgroup2 mount")


def test_ztunnel_without_privileges_fails_clearly():
    assert os.geteuid() == 0, "e2e tests run as root"
    work = Path(tempfile.mkdtemp(prefix="zmesh-noprivs-"))
    pins = Path(f"/sys/fs/bpf/zmesh-noprivs-{os.getpid()}")
    try:
        (work / "config").mkdir()
        (work / "run").mkdir()
        os.chmod(work, 0o755)
        os.chmod(work / "run", 0o777)
        r = run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", str(BIN / "ztunnel"), "--node", "n1",
                "--config-dir", str(work / "config"), "--cgroup-root", cgroup2_mount(),
                "--run-dir", str(work / "run"), "--bpf-pin-root", str(pins))
        assert r.returncode == 1, r.stderr
        out = r.stdout + r.stderr
        assert "CAP_BPF" in out and "loading BPF datapath failed" in out, out
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pins, ignore_errors=True)


def test_zmeshctl_without_daemon_and_bad_usage():
    with tempfile.TemporaryDirectory() as run_dir:
        r = run(str(BIN / "zmeshctl"), "--run-dir", run_dir, "status")
        assert r.returncode == 1
        assert "cannot reach ztunnel" in r.stderr + r.stdout
    r = run(str(BIN / "zmeshctl"), "enroll", "--pod", "no-slash", "--netns", "/proc/self/ns/net")
    assert r.returncode == 2
