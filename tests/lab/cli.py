#!/usr/bin/env python3
"""scripts/lab - the node lab for humans.

  scripts/lab up [--name N] [--nodes 2] [--pods 2] [--plain 1] [--no-daemons] [--no-enroll]
                 [--cert-ttl 24h] [--trust-domain cluster.local] [--enroll-skip POD ...]
  scripts/lab status [LAB]                 labs, nodes, pods, daemons (LAB = id or name; default: the only one)
  scripts/lab exec [--lab LAB] POD -- CMD...   run CMD inside POD (its cgroup + network namespace)
  scripts/lab node [--lab LAB] NODE -- CMD...  run CMD inside NODE's network namespace
  scripts/lab ctl [--lab LAB] NODE -- ARGS...  zmeshctl against NODE's daemon
  scripts/lab down [LAB] | --all | --stale     tear down one lab, every lab, or labs whose owner died
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from zlab import Lab, LabError, list_labs, reap_stale  # noqa: E402
from zlab.host import require_root  # noqa: E402


def _find(ref: str | None) -> Lab:
    labs = [d for d in list_labs() if not d.get("broken")]
    if ref:
        labs = [d for d in labs if ref in (d["id"], d.get("name"))]
    if not labs:
        raise LabError(f"no lab {'named ' + ref if ref else 'is up'} (scripts/lab status)")
    if len(labs) > 1:
        raise LabError(f"several labs match; pick one: {[(d['id'], d.get('name')) for d in labs]}")
    return Lab.load(labs[0]["id"])


def cmd_up(a) -> int:
    lab = Lab(a.name, nodes=a.nodes, pods_per_node=a.pods, plain_per_node=a.plain,
              start_daemons=not a.no_daemons, enroll=not a.no_enroll, persistent=True,
              log_level=a.log_level, cert_ttl=a.cert_ttl, trust_domain=a.trust_domain,
              enroll_skip=a.enroll_skip)
    try:
        lab.up()
    except BaseException:
        lab.down()
        raise
    _print_status(lab)
    print(f"\nlab {lab.id} is up. Try:\n"
          f"  scripts/lab exec {lab.mesh_pods[0].name if lab.mesh_pods else 'POD'} -- "
          f"python3 tests/lab/zlab/podtool.py who {lab.services.get('echo', {}).get('ip', '10.96.100.10')} 80\n"
          f"  scripts/lab node node0 -- curl -s 127.0.0.1:15020/stats/prometheus\n"
          f"  scripts/lab down {lab.id}")
    return 0


def _print_status(lab: Lab) -> None:
    print(f"lab {lab.id} name={lab.name} logs={lab.log_dir}")
    print(f"  mesh CA {lab.ca_dir} (daemons get --ca-dir: {'yes' if lab.mtls else 'no, ztunnel lacks it'})"
          f" trust domain {lab.trust_domain}" + (f", cert ttl {lab.cert_ttl}" if lab.cert_ttl else ""))
    for n in lab.nodes:
        pid = None
        from zlab.host import cgroup_procs
        procs = cgroup_procs(n.daemon_cgroup)
        pid = procs[0] if procs else None
        print(f"  {n.name:8} netns={n.netns} ip={n.ip} ztunnel={'pid ' + str(pid) if pid else 'not running'}"
              f" run-dir={n.run_dir} pins={n.pin_root}")
        for p in n.pods:
            skip = "  (not enrolled: enroll_skip)" if p.name in lab.enroll_skip else ""
            print(f"    {p.full_name:18} ip={p.ip:14} netns={p.netns} id={p.identity}{skip}")
    for name, s in lab.services.items():
        print(f"  service {s['namespace']}/{name:10} {s['ip']}:{s['port']} -> {s['target']}  pods={','.join(s['pods'])}")


def cmd_status(a) -> int:
    labs = list_labs()
    if not labs:
        print("no labs")
        return 0
    for d in labs:
        if a.lab and a.lab not in (d["id"], d.get("name")):
            continue
        if d.get("broken"):
            print(f"lab {d['id']}: broken state (scripts/lab down --all)")
            continue
        _print_status(Lab.load(d["id"]))
    return 0


def cmd_exec(a) -> int:
    lab = _find(a.lab)
    pod = lab.pod(a.pod)
    os.execvp("sh", pod.argv(a.cmd or ["sh"]))
    return 0


def cmd_node(a) -> int:
    lab = _find(a.lab)
    node = lab.node(a.node)
    os.execvp("nsenter", ["nsenter", f"--net={node.netns_path}", "--", *(a.cmd or ["sh"])])
    return 0


def cmd_ctl(a) -> int:
    lab = _find(a.lab)
    node = lab.node(a.node)
    os.execv(lab.zmeshctl, [lab.zmeshctl, "--run-dir", node.run_dir, "--bpf-pin-root", node.pin_root, *a.cmd])
    return 0


def cmd_down(a) -> int:
    if a.all or a.stale:
        ids = reap_stale(all_labs=a.all)
        print(f"removed: {' '.join(ids) if ids else 'nothing'}")
        return 0
    lab = _find(a.lab)
    left = lab.down()
    return 1 if left else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="scripts/lab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--name", default="lab")
    u.add_argument("--nodes", type=int, default=2)
    u.add_argument("--pods", type=int, default=2, help="mesh pods per node")
    u.add_argument("--plain", type=int, default=1, help="pods per node in the non-ambient namespace")
    u.add_argument("--no-daemons", action="store_true")
    u.add_argument("--no-enroll", action="store_true")
    u.add_argument("--log-level", default="info")
    u.add_argument("--cert-ttl", help="workload certificate lifetime (ztunnel --cert-ttl), e.g. 90s")
    u.add_argument("--trust-domain", default="cluster.local")
    u.add_argument("--enroll-skip", nargs="*", default=[], metavar="POD",
                   help="mesh pods left unenrolled (e.g. for a test server on their :15008)")
    u.set_defaults(fn=cmd_up)
    s = sub.add_parser("status")
    s.add_argument("lab", nargs="?")
    s.set_defaults(fn=cmd_status)
    for name, fn, what in (("exec", cmd_exec, "pod"), ("node", cmd_node, "node"), ("ctl", cmd_ctl, "node")):
        e = sub.add_parser(name)
        e.add_argument("--lab")
        e.add_argument(what)
        e.add_argument("cmd", nargs=argparse.REMAINDER)
        e.set_defaults(fn=fn)
    d = sub.add_parser("down")
    d.add_argument("lab", nargs="?")
    d.add_argument("--all", action="store_true", help="every lab and every lab-shaped leftover")
    d.add_argument("--stale", action="store_true", help="labs whose owning process has exited")
    d.set_defaults(fn=cmd_down)
    a = p.parse_args(argv)
    if getattr(a, "cmd", None) and isinstance(a.cmd, list) and a.cmd[:1] == ["--"]:
        a.cmd = a.cmd[1:]
    try:
        require_root()
        return a.fn(a)
    except (LabError, KeyError) as e:
        print(f"scripts/lab: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
