#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz from the repo's own YAML, at run time (nothing is
copied into tests/fuzz): OUT/yaml for config_yaml_fuzz (whole files) and OUT/json for
config_json_fuzz (one object per seed, as the Kubernetes API sends it), and OUT/wire for
wire_fuzz (ClientHellos made by Python's ssl module, and HBONE CONNECT header blocks).

Sources: tests/unit/config_corpus/**, tests/unit/testdata/config/*.yaml, the cluster YAML the
node lab writes (tests/lab/zlab, built without bringing a lab up), tests/fuzz/regressions/* and
tests/fuzz/seeds/* (shapes no repo file has, e.g. cyclic aliases).

    make_seeds.py OUT
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

try:  # PyYAML turns documents into JSON seeds; without it they go in as YAML (parse_object reads both)
    import yaml
except ImportError:
    yaml = None


def repo_yaml_files() -> list[str]:
    out = []
    for sub in ("tests/unit/config_corpus", "tests/unit/testdata/config", "tests/fuzz/seeds",
                "tests/fuzz/regressions"):
        for dirpath, _, names in os.walk(os.path.join(ROOT, sub)):
            out += [os.path.join(dirpath, n) for n in sorted(names) if not n.startswith(".")]
    return sorted(out)


def lab_yaml() -> tuple[str, list[dict]]:
    """The lab's cluster.yaml for a 2-node lab, and its objects."""
    from zlab import kube
    try:
        from zlab.lab import Lab
        objs = Lab("fuzz-seeds", nodes=2, pods_per_node=2, lab_id="zfuzzseed").kube_objects()
    except Exception as e:  # the lab's constructor looks at the host (cgroup v2); the objects do not need it
        print(f"[seeds] lab objects from zlab.kube directly ({e})", file=sys.stderr)
        objs = [kube.namespace("mesh", True), kube.namespace("plain", False),
                kube.pod("pod-0-0", "mesh", "node-0", "10.244.0.11", "10.10.0.10", {"app": "pod-0-0"}, "p0", [8080]),
                kube.service("echo", "mesh", "10.96.100.10", {"role": "echo"}, [(80, 8080)])]
    return "# written by the zmesh node lab (tests/lab/zlab)\n" + kube.dump_all(objs), objs


def documents(text: str) -> list[str]:
    """A multi-document file split at `---` lines (seeds only: no need for a full YAML parser)."""
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            docs.append("".join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append("".join(cur))
    return [d for d in docs if d.strip() and not all(l.lstrip().startswith("#") or not l.strip()
                                                      for l in d.splitlines())]


def as_json(doc: str) -> str:
    if yaml is not None:
        try:
            obj = yaml.safe_load(doc)
            if isinstance(obj, dict):
                return json.dumps(obj, default=str)
        except Exception:
            pass
    return doc


def write(dirpath: str, data: bytes) -> None:
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(dirpath, name), "wb") as f:
        f.write(data)


def client_hello(server_name: str | None) -> bytes:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def wire_seeds(wdir: str) -> None:
    os.makedirs(wdir, exist_ok=True)
    for n in os.listdir(wdir):
        os.unlink(os.path.join(wdir, n))
    for name in ("db.shop.example", "a.b.c.example", None):
        write(wdir, client_hello(name))
    for block in (b":method\x00CONNECT\n:authority\x0010.0.0.7:8080\nforwarded\x00for=10.0.0.1",
                  b":method\x00CONNECT\n:authority\x00[fd00::1]:80\nbaggage\x00k=v\ntraceparent\x00"
                  b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                  b":method\x00GET\n:authority\x00x:1\n:path\x00/"):
        write(wdir, block)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    ydir, jdir = os.path.join(out, "yaml"), os.path.join(out, "json")
    for d in (ydir, jdir):
        os.makedirs(d, exist_ok=True)
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))

    files = [(p, open(p, "rb").read()) for p in repo_yaml_files()]
    text, objs = lab_yaml()
    files.append(("lab cluster.yaml", text.encode()))
    for _, data in files:
        write(ydir, data)
        try:
            docs = documents(data.decode("utf-8"))
        except UnicodeDecodeError:  # a regression input may be raw bytes: as is
            write(jdir, data)
            continue
        for doc in docs:
            write(jdir, as_json(doc).encode())
    for obj in objs:
        write(jdir, json.dumps(obj).encode())
    wire_seeds(os.path.join(out, "wire"))
    print(f"[seeds] {len(os.listdir(ydir))} yaml, {len(os.listdir(jdir))} json seeds in {out}"
          f"{'' if yaml else ' (no PyYAML: documents kept as YAML)'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
