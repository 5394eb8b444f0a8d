"""The README's main job, `scripts/demo`, after its set-up and build: tests/lab/demo.py brings
up its two-node lab and every step (pod -> pod over HBONE, L7 routes and a fault, mutual TLS
and STRICT, live BPF connections, status, metrics, access logs) completes."""
from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "lab", "demo.py")
TITLES = ("pod -> pod across nodes", "L7 in the source node's ztunnel", "mutual TLS",
          "live redirected connections", "daemon status", "metrics", "access logs")


def test_demo_completes_every_step():
    cp = subprocess.run([sys.executable, DEMO], capture_output=True, text=True, timeout=480)
    out = cp.stdout
    assert cp.returncode == 0 and "demo: done" in out, f"{out[-6000:]}\n{cp.stderr[-3000:]}"
    assert "!!" not in out, out
    for title in TITLES:
        assert f"== {title}" in out, f"no '{title}' step in:\n{out}"
    # The L7 step printed what the routes did, and the fault's access line names its flag.
    assert "versions {'v2': 20}" in out, out
    assert '"response_flags": "FI"' in out, out
