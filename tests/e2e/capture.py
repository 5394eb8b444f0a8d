"""Packet capture for e2e tests: tcpdump inside a lab network namespace writing a pcap, and a
small pcap reader (Ethernet/IPv4/TCP) to ask what went over the wire.

    with Capture(lab.fab_netns_path, "br0", os.path.join(lab.log_dir, "x.pcap")) as cap:
        ... traffic ...
    pkts = cap.packets()          # [Packet(src, dst, sport, dport, payload)]
"""
from __future__ import annotations

import os
import signal
import struct
import subprocess
import time
from dataclasses import dataclass

from zlab import LabError, wait_for


@dataclass
class Packet:
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes

    def ports(self) -> set[int]:
        return {self.sport, self.dport}


class Capture:
    """tcpdump -i IFACE in the namespace at netns_path, full snaplen, unbuffered pcap output.
    --immediate-mode matters: without it packets still in the capture ring when tcpdump gets
    SIGINT are lost (a short capture can end up with 0 packets)."""

    def __init__(self, netns_path: str, iface: str, pcap_path: str, bpf_filter: str = "tcp"):
        self.netns_path, self.iface, self.path, self.filter = netns_path, iface, pcap_path, bpf_filter
        self.err_path = pcap_path + ".stderr"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Capture":
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        err = open(self.err_path, "w")
        self.proc = subprocess.Popen(["nsenter", f"--net={self.netns_path}", "tcpdump", "-i", self.iface, "-n",
                                      "-s", "0", "-U", "--immediate-mode", "-w", self.path, self.filter],
                                     stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        err.close()
        try:
            wait_for(lambda: self._check_alive() and "listening on" in self.stderr(), 10, 0.05,
                     f"tcpdump on {self.iface} to start")
        except LabError:
            self.stop()
            raise
        return self

    def _check_alive(self) -> bool:
        if self.proc.poll() is not None:
            raise LabError(f"tcpdump exited {self.proc.returncode}: {self.stderr()}")
        return True

    def stderr(self) -> str:
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        time.sleep(0.3)  # let the last packets reach the file
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)

    def __exit__(self, *exc) -> None:
        self.stop()

    def raw(self) -> bytes:
        with open(self.path, "rb") as f:
            return f.read()

    def packets(self) -> list[Packet]:
        return read_pcap(self.raw())


def read_pcap(data: bytes) -> list[Packet]:
    """TCP/IPv4 packets of a classic pcap (Ethernet or Linux cooked v1); others are skipped."""
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"not a pcap file (magic {magic.hex()})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _ts, _us, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            if len(frame) < 14:
                continue
            ethertype, l3 = struct.unpack("!H", frame[12:14])[0], frame[14:]
        elif linktype == 113:  # Linux cooked v1
            if len(frame) < 16:
                continue
            ethertype, l3 = struct.unpack("!H", frame[14:16])[0], frame[16:]
        else:
            continue
        if ethertype != 0x0800 or len(l3) < 20 or l3[9] != 6:
            continue
        ihl = (l3[0] & 0x0F) * 4
        total = struct.unpack("!H", l3[2:4])[0]
        tcp = l3[ihl:total]
        if len(tcp) < 20:
            continue
        sport, dport = struct.unpack("!HH", tcp[:4])
        doff = (tcp[12] >> 4) * 4
        out.append(Packet(".".join(map(str, l3[12:16])), ".".join(map(str, l3[16:20])), sport, dport, tcp[doff:]))
    return out
