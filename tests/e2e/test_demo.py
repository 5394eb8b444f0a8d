"""The README's main job, `scripts/demo`, after its set-up and build: tests/lab/demo.py brings
up its two-node lab and every step (pod -> pod over HBONE, L7 routes and a fault, mutual TLS
and STRICT, live BPF connections, status, metrics, access logs) completes."""
from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "lab", "demo.py")
TITLES = ("pod -> pod across nodes", "L7 in the source node's ztunnel", "mutual TLS", "distributed tracing",
          "live redirected connections", "daemon status", "metrics", "access logs")


def _failures(out: str) -> str:
    """Every failed step's report, whole (the "!!" line and the traceback under it), wherever
    it is in the output, and the demo's closing summary."""
    lines, keep = out.splitlines(), []
    for i, line in enumerate(lines):
        if line.startswith("   !! "):
            keep.append(line)
            for more in lines[i + 1:]:  # its traceback, indented under it
                if not more.startswith("      "):
                    break
                keep.append(more)
    tail = out[out.rfind("\ndemo: "):] if "\ndemo: " in out else ""
    return "\n".join(keep) + "\n" + tail


def test_demo_completes_every_step():
    cp = subprocess.run([sys.executable, DEMO], capture_output=True, text=True, timeout=480)
    out = cp.stdout
    why = f"{_failures(out)}\n--- demo output, last 6000 characters ---\n{out[-6000:]}\n--- stderr ---\n{cp.stderr[-3000:]}"
    assert cp.returncode == 0 and "demo: done" in out, why
    assert "!!" not in out, why
    for title in TITLES:
        assert f"== {title}" in out, f"no '{title}' step in:\n{out}"
    # The L7 step printed what the routes did, and the fault's access line names its flag.
    assert "versions {'v2': 20}" in out, out
    assert '"response_flags": "FI"' in out, out
    # L7 security: CUSTOM through the external authorizer; STRICT refused in the kernel
    assert "GET /private without x-ext-authz      -> 403 denied by ext_authz" in out, out
    assert "GET /private with x-ext-authz: allow  -> 200" in out, out
    assert "PeerAuthentication STRICT  STRICT" in out, out
    # Tracing: the app saw the headers, both access lines and Jaeger (scripts/test builds it) the
    # trace: node0's client span and node1's server span.
    assert "node1 access line (destination): trace_id" in out, out
    assert "Jaeger (in plain/plain-1-0)" in out, out
    assert " client " in out and " server " in out and "node ztunnel~node1" in out, out
