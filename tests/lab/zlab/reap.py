"""Finding labs on this host and tearing down the ones whose owner is gone (or all of them)."""
from __future__ import annotations

import json
import os
import re
import shutil

from .host import BPFFS, ID_PREFIX, LAB_STATE_ROOT, LabError, cgroup2_root, cgroup_remove_tree, run


CNI_RESULTS_DIR = "/var/lib/cni/results"   # where libcni (cnitool) caches ADD results


def delete_netns_with_prefix(prefix: str) -> list[str]:
    left = []
    cp = run(["ip", "netns", "list"], check=False)
    names = [l.split()[0] for l in (cp.stdout or "").splitlines() if l.strip()]
    for name in names:
        if name.startswith(prefix):
            if run(["ip", "netns", "del", name], check=False).returncode != 0:
                left.append(f"netns {name}")
    return left


def remove_cni_results(lab_id: str) -> None:
    """libcni's cached results of a lab's CNI networks (zlab.cni names them <lab id>-...)."""
    try:
        names = os.listdir(CNI_RESULTS_DIR)
    except OSError:
        return
    for n in names:
        if n.startswith(lab_id + "-"):
            try:
                os.unlink(os.path.join(CNI_RESULTS_DIR, n))
            except OSError:
                pass


def list_labs() -> list[dict]:
    out = []
    if os.path.isdir(LAB_STATE_ROOT):
        for i in sorted(os.listdir(LAB_STATE_ROOT)):
            try:
                with open(os.path.join(LAB_STATE_ROOT, i, "lab.json")) as f:
                    out.append(json.load(f))
            except (OSError, json.JSONDecodeError):
                out.append({"id": i, "name": "?", "broken": True})
    return out


def _pid_alive(pid) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
        return True
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True


def reap_stale(all_labs: bool = False) -> list[str]:
    """Tear down labs whose owning process is gone (or every lab with all_labs=True), plus any
    leftover lab-shaped netns, cgroups and pin dirs that no lab.json describes. Returns their ids."""
    pat = re.compile(rf"^{ID_PREFIX}[0-9a-f]{{6}}$")
    reaped = []
    known = set()
    for d in list_labs():
        known.add(d["id"])
        if all_labs or d.get("broken") or (d.get("owner_pid") is not None and not _pid_alive(d.get("owner_pid"))):
            try:
                from .lab import Lab  # lab.py imports this module
                Lab.load(d["id"]).down()
            except Exception:  # noqa: BLE001 - fall through to the raw sweep below
                _raw_sweep(d["id"])
            reaped.append(d["id"])
    # orphans without state
    ids = set()
    cp = run(["ip", "netns", "list"], check=False)
    for l in (cp.stdout or "").splitlines():
        if l.strip():
            ids.add(l.split()[0].split("-")[0])
    try:
        cg2 = cgroup2_root()
        ids.update(os.listdir(cg2))
    except (LabError, OSError):
        cg2 = None
    if os.path.isdir(BPFFS):
        ids.update(os.listdir(BPFFS))
    for i in sorted(x for x in ids if pat.match(x)):
        if i in known and not all_labs and i not in reaped:
            continue
        if i in reaped:
            _raw_sweep(i)  # make sure
            continue
        _raw_sweep(i)
        reaped.append(i)
    return reaped


def _raw_sweep(lab_id: str) -> None:
    try:
        cgroup_remove_tree(os.path.join(cgroup2_root(), lab_id))
    except LabError:
        pass
    shutil.rmtree(os.path.join(BPFFS, lab_id), ignore_errors=True)
    delete_netns_with_prefix(lab_id + "-")
    remove_cni_results(lab_id)
    shutil.rmtree(os.path.join(LAB_STATE_ROOT, lab_id), ignore_errors=True)
