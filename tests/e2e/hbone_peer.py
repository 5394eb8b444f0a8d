#!/usr/bin/env python3
"""An independent HBONE peer (Python ssl + h2, none of zmesh's code) for interop tests.

HBONE = HTTP/2 CONNECT over mutual TLS 1.3 (ALPN h2) to <pod ip>:15008, as Istio ambient does:
:method CONNECT, :authority "<ip>:<port>" (no :scheme/:path), plus forwarded/baggage/traceparent.

client   hbone_peer.py client --addr IP:15008 --authority IP:PORT --cert C --key K --ca CA
             [--expect-san URI] [--app echo|who|raw|none] [--message TEXT | --bytes N] [--streams K]
             [--forwarded for=1.2.3.4] [--baggage ...] [--traceparent ...] [--timeout S]
         TLS 1.3 + ALPN h2, client cert, server cert verified against CA (any name: SPIFFE ids are
         URIs) and, with --expect-san, its URI SAN checked. Opens K CONNECT streams on the one
         connection; on 200 it talks to the app behind the tunnel:
           echo  podtool's ECHO: sends "ECHO\\n" + payload, reads the payload back
           who   podtool's WHO: sends "WHO\\n", reads its JSON line
           raw   sends the payload as is, expects it back (a raw echo server behind the tunnel)
           xfer  podtool's XFER: "XFER <n> <id>\\n", n bytes, half-close; reads n bytes until the end
           none  only the status
         Prints one JSON line: {"ok", "tls": {version, alpn, cipher}, "server_cert": {uris, serial,
         not_before, not_after}, "streams": [{"status", "echo_ok", "reply", ...}], "error"}.
         Exit 0 when every stream got --expect-status (default 200) and its app exchange worked.
server   hbone_peer.py server --cert C --key K --ca CA --record FILE [--port 15008]
             [--trust-domain TD] [--app podtool|echo] [--name NAME]
         Listens on 0.0.0.0:<port> (run it in a pod's netns), requires a client cert chained to CA
         (and a spiffe://<TD>/ URI SAN when --trust-domain is given), answers every well-formed
         CONNECT 200 (400 when :method/:authority are wrong), and appends JSON lines to FILE:
           {"event": "connect", "headers": {...}, "peer_uris": [...], "peer_addr", "stream"}
           {"event": "handshake_failed" | "identity_rejected", ...}
           {"event": "xfer", "id", "recv_len", "recv_sha", "sent_len", "sent_sha", ...}  (podtool XFER)
         --app podtool behaves like podtool's server behind the tunnel (WHO/ECHO/XFER/HOLD);
         --app echo echoes raw bytes. Many connections and streams at once.
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import secrets
import select
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

SPIFFE_PREFIX = "spiffe://"
WINDOW = 1 << 20  # per stream; the connection gets 16 streams' worth


def start(conn: h2.connection.H2Connection) -> None:
    """Preface/SETTINGS with larger receive windows than HTTP/2's 64 KiB default."""
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
    conn.increment_flow_control_window(16 * WINDOW)


# ---------------------------------------------------------------- one HTTP/2 connection
class Pump:
    """Flow-controlled send queues per stream and a read/write step over a TLS socket made
    non-blocking after its handshake: both directions move at once (a blocking sendall on each
    side of a full-duplex transfer would deadlock)."""

    HIGH_WATER = 256 * 1024  # stop feeding HTTP/2 DATA while this much waits for the socket

    def __init__(self, sock: ssl.SSLSocket, conn: h2.connection.H2Connection):
        self.sock, self.conn = sock, conn
        self.out: dict[int, dict] = {}  # sid -> {"buf": bytearray, "gen": callable|None, "end": bool}
        self.wbuf = bytearray()
        self.chunk: bytes | None = None  # an SSL write to retry with the very same bytes
        sock.setblocking(False)

    def send(self, sid: int, data: bytes = b"", end: bool = False, gen=None) -> None:
        q = self.out.setdefault(sid, {"buf": bytearray(), "gen": None, "end": False})
        q["buf"] += data
        if gen is not None:
            q["gen"] = gen
        q["end"] = q["end"] or end

    def queued(self, sid: int) -> bool:
        return sid in self.out

    def pump_out(self) -> None:
        for sid, q in list(self.out.items()):
            try:
                while len(self.wbuf) < self.HIGH_WATER:
                    if q["gen"] is not None and len(q["buf"]) < 65536:
                        chunk = q["gen"]()
                        if chunk:
                            q["buf"] += chunk
                        else:
                            q["gen"] = None
                    if not q["buf"]:
                        break
                    n = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size,
                            len(q["buf"]))
                    if n <= 0:
                        break
                    self.conn.send_data(sid, bytes(q["buf"][:n]))
                    del q["buf"][:n]
                    self.wbuf += self.conn.data_to_send()
                if not q["buf"] and q["gen"] is None:
                    if q["end"]:
                        self.conn.end_stream(sid)
                    del self.out[sid]
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError):
                self.out.pop(sid, None)  # the peer reset or closed it

    def _write(self) -> None:
        while self.wbuf:
            if self.chunk is None:
                self.chunk = bytes(self.wbuf[:65536])
            try:
                n = self.sock.send(self.chunk)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                return
            del self.wbuf[:n]
            self.chunk = None

    def flush(self) -> None:
        self.wbuf += self.conn.data_to_send()
        self._write()

    def drain(self, timeout: float = 2.0) -> None:
        """Best effort: write out what is queued (before closing)."""
        deadline = time.monotonic() + timeout
        self.flush()
        while self.wbuf and time.monotonic() < deadline:
            select.select([], [self.sock], [], 0.1)
            self._write()

    def step(self, timeout: float) -> list | None:
        """Queue what flow control allows, write what the socket takes, read what arrived.
        [] when nothing arrived within timeout, None on EOF."""
        self.pump_out()
        self.flush()
        if not self.sock.pending():
            r, w, _ = select.select([self.sock], [self.sock] if self.wbuf else [], [], timeout)
            if w:
                self._write()
            if not r:
                return []
        try:
            data = self.sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return []
        if not data:
            return None
        events = self.conn.receive_data(data)
        for ev in events:
            if isinstance(ev, h2.events.DataReceived):
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        self.flush()
        return events


def cert_facts(sock: ssl.SSLSocket) -> dict:
    c = sock.getpeercert() or {}
    uris = [v for k, v in c.get("subjectAltName", ()) if k == "URI"]
    return {"uris": uris, "serial": (c.get("serialNumber") or "").lower().lstrip("0") or None,
            "not_before": c.get("notBefore"), "not_after": c.get("notAfter"),
            "not_before_epoch": ssl.cert_time_to_seconds(c["notBefore"]) if "notBefore" in c else None,
            "not_after_epoch": ssl.cert_time_to_seconds(c["notAfter"]) if "notAfter" in c else None}


def tls_facts(sock: ssl.SSLSocket) -> dict:
    return {"version": sock.version(), "alpn": sock.selected_alpn_protocol(), "cipher": (sock.cipher() or [None])[0]}


def parse_authority(a: str):
    """ip:port / [v6]:port -> (ip, port) or None."""
    try:
        if a.startswith("["):
            host, _, port = a[1:].partition("]:")
        else:
            host, _, port = a.rpartition(":")
        return str(ipaddress.ip_address(host)), int(port) if 0 < int(port) < 65536 else None
    except ValueError:
        return None


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


# ---------------------------------------------------------------- client
class ClientStream:
    def __init__(self, sid: int, app: str, payload: bytes):
        self.sid, self.app, self.payload = sid, app, payload
        self.status = None
        self.headers: dict = {}
        self.recv = bytearray()
        self.ended = self.reset = False
        self.reset_code = None
        self.half_closed = False
        self.xid = f"{sid}"

    def done(self) -> bool:
        if self.reset or self.ended:
            return True
        if self.status is None:
            return False
        if self.status != 200 or self.app == "none":
            return True
        if self.app in ("echo", "raw"):
            return self.half_closed and self.ended
        return False  # who, xfer: until the app closes

    def result(self) -> dict:
        r = {"stream": self.sid, "status": self.status, "ended": self.ended, "reset": self.reset}
        if self.reset:
            r["reset_code"] = self.reset_code
        if self.app in ("echo", "raw") and self.status == 200:
            r.update(sent=len(self.payload), recv=len(self.recv), echo_ok=bytes(self.recv) == self.payload,
                     sha=hashlib.sha256(self.recv).hexdigest())
        if self.app == "xfer" and self.status == 200:
            r.update(id=self.xid, sent_len=len(self.payload), sent_sha=hashlib.sha256(self.payload).hexdigest(),
                     recv_len=len(self.recv), recv_sha=hashlib.sha256(self.recv).hexdigest())
        if self.app == "who" and self.status == 200:
            try:
                r["reply"] = json.loads(self.recv.decode().strip().splitlines()[0])
            except (ValueError, IndexError):
                r["reply"] = None
                r["raw"] = self.recv[:200].decode("utf-8", "replace")
        if self.status is not None and self.status != 200:
            r["body"] = self.recv[:200].decode("utf-8", "replace")
        return r


def client(a) -> dict:
    out: dict = {"ok": False}
    host, _, port = a.addr.rpartition(":")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False  # SPIFFE ids are URI SANs; --expect-san checks the name
    if a.ca:
        ctx.load_verify_locations(a.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    ctx.set_alpn_protocols(["h2"])
    deadline = time.monotonic() + a.timeout
    try:
        raw = socket.create_connection((host, int(port)), timeout=a.timeout)
    except OSError as e:
        out["error"] = f"connect: {e}"
        return out
    try:
        s = ctx.wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        out["error"] = f"handshake: {e}"
        return out
    with s:
        out["tls"] = tls_facts(s)
        out["server_cert"] = cert_facts(s) if a.ca else {}
        if a.expect_san and a.expect_san not in out["server_cert"].get("uris", []):
            out["error"] = f"server SAN {out['server_cert'].get('uris')} is not {a.expect_san}"
            return out
        if out["tls"]["alpn"] != "h2":
            out["error"] = f"ALPN {out['tls']['alpn']!r}, not h2"
            return out
        conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=False))
        start(conn)
        pump = Pump(s, conn)
        payload = a.message.encode() if a.message is not None else os.urandom(a.bytes)
        streams: dict[int, ClientStream] = {}
        for _ in range(a.streams):
            sid = conn.get_next_available_stream_id()
            hdrs = [(":method", a.method), (":authority", a.authority)]
            if a.scheme_path:  # deliberately malformed for CONNECT
                hdrs += [(":scheme", "https"), (":path", "/")]
            if a.forwarded:
                hdrs.append(("forwarded", a.forwarded))
            if a.baggage:
                hdrs.append(("baggage", a.baggage))
            hdrs.append(("traceparent", a.traceparent or new_traceparent()))
            conn.send_headers(sid, hdrs, end_stream=False)
            streams[sid] = ClientStream(sid, a.app, payload)
        try:
            def finished() -> bool:  # every stream settled and everything we queued is out
                return all(st.done() and (st.reset or not pump.queued(st.sid)) for st in streams.values())

            while not finished():
                if time.monotonic() > deadline:
                    out["error"] = "timeout"
                    break
                evs = pump.step(0.2)
                if evs is None:
                    if not finished():
                        out["error"] = "connection closed by server"
                    break
                for ev in evs:
                    st = streams.get(getattr(ev, "stream_id", None) or -1)
                    if isinstance(ev, h2.events.ResponseReceived) and st:
                        st.headers = dict(ev.headers)
                        st.status = int(st.headers.get(":status", 0))
                        if st.status == 200:
                            if st.app == "echo":
                                pump.send(st.sid, b"ECHO\n" + payload)
                            elif st.app == "raw":
                                pump.send(st.sid, payload)
                            elif st.app == "who":
                                pump.send(st.sid, b"WHO\n")
                            elif st.app == "xfer":
                                st.xid = f"{a.xfer_id}-{st.sid}"
                                pump.send(st.sid, f"XFER {len(payload)} {st.xid}\n".encode() + payload, end=True)
                    elif isinstance(ev, h2.events.DataReceived) and st:
                        st.recv += ev.data
                    elif isinstance(ev, h2.events.StreamEnded) and st:
                        st.ended = True
                    elif isinstance(ev, h2.events.StreamReset) and st:
                        st.reset = True
                        st.reset_code = int(ev.error_code)
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        out["goaway"] = int(ev.error_code)
                # an echo is complete once every byte came back: then half-close our side
                for st in streams.values():
                    if (st.status == 200 and st.app in ("echo", "raw") and not st.half_closed
                            and len(st.recv) >= len(st.payload) and not st.reset):
                        st.half_closed = True
                        if not st.ended:
                            pump.send(st.sid, end=True)
        except (ssl.SSLError, OSError, h2.exceptions.ProtocolError) as e:
            out["error"] = f"{type(e).__name__}: {e}"
        try:
            conn.close_connection()
            pump.drain()
        except (ssl.SSLError, OSError, h2.exceptions.ProtocolError):
            pass
        out["streams"] = [st.result() for st in streams.values()]
        ok = "error" not in out and all(r["status"] == a.expect_status for r in out["streams"])
        if a.expect_status == 200:
            ok = ok and all(r.get("echo_ok", True) and not r["reset"] for r in out["streams"])
            if a.app == "who":
                ok = ok and all(r.get("reply") for r in out["streams"])
            if a.app == "xfer":
                ok = ok and all(r.get("ended") and r.get("recv_len") == r.get("sent_len") for r in out["streams"])
        out["ok"] = ok
    return out


# ---------------------------------------------------------------- server
class Recorder:
    def __init__(self, path: str):
        self.path, self.lock = path, threading.Lock()

    def __call__(self, **rec) -> None:
        rec["time"] = round(time.time(), 3)
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")


class AppStream:
    """What sits behind one accepted CONNECT: podtool's line protocol, or a raw echo."""

    def __init__(self, srv, pump: Pump, sid: int, authority: str, peer: str, forwarded: str):
        self.srv, self.pump, self.sid = srv, pump, sid
        self.authority, self.peer, self.forwarded = authority, peer, forwarded
        self.mode = None if srv.app == "podtool" else "echo"
        self.line = bytearray()
        self.xfer: dict | None = None

    def data(self, b: bytes) -> None:
        if self.mode is None:
            self.line += b
            if b"\n" not in self.line:
                return
            cmd_b, _, rest = bytes(self.line).partition(b"\n")
            cmd = cmd_b.decode("ascii", "replace").split()
            self.line = bytearray()
            self.mode = (cmd[0] if cmd else "?").lower()
            if self.mode == "who":
                self.pump.send(self.sid, (json.dumps({"pod": self.srv.name, "peer": self.forwarded or self.peer,
                                                      "local": self.authority}) + "\n").encode(), end=True)
            elif self.mode == "hold":
                self.pump.send(self.sid, b"OK\n")
            elif self.mode == "xfer":
                n = int(cmd[1])
                self.xfer = {"id": cmd[2] if len(cmd) > 2 else "", "n": n, "left": n, "sent_h": hashlib.sha256(),
                             "recv_h": hashlib.sha256(), "recv_len": 0, "eof": False, "logged": False}
                self.pump.send(self.sid, gen=self._gen, end=True)
            b = rest
        if self.mode == "echo":
            if b:
                self.pump.send(self.sid, b)
        elif self.mode == "xfer":
            self.xfer["recv_h"].update(b)
            self.xfer["recv_len"] += len(b)

    def _gen(self) -> bytes:
        x = self.xfer
        k = min(65536, x["left"])
        if k == 0:
            self._maybe_log()
            return b""
        b = os.urandom(k)
        x["left"] -= k
        x["sent_h"].update(b)
        return b

    def _maybe_log(self) -> None:
        x = self.xfer
        if x and x["eof"] and x["left"] == 0 and not x["logged"]:
            x["logged"] = True
            self.srv.record(event="xfer", id=x["id"], pod=self.srv.name, peer=self.forwarded or self.peer, local=self.authority,
                            recv_len=x["recv_len"], recv_sha=x["recv_h"].hexdigest(), sent_len=x["n"],
                            sent_sha=x["sent_h"].hexdigest())

    def eof(self) -> None:
        if self.mode in ("echo", "hold", None, "?"):
            self.pump.send(self.sid, end=True)
        elif self.mode == "xfer":
            self.xfer["eof"] = True
            self._maybe_log()


def serve_conn(srv, tls: ssl.SSLSocket, peer: str) -> None:
    facts = cert_facts(tls)
    if srv.trust_domain and not any(u.startswith(f"{SPIFFE_PREFIX}{srv.trust_domain}/") for u in facts["uris"]):
        srv.record(event="identity_rejected", peer_addr=peer, peer_uris=facts["uris"])
        return
    if tls.selected_alpn_protocol() != "h2":
        srv.record(event="alpn_rejected", peer_addr=peer, alpn=tls.selected_alpn_protocol())
        return
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=False, header_encoding="utf-8", validate_inbound_headers=False))
    start(conn)
    pump = Pump(tls, conn)
    apps: dict[int, AppStream] = {}
    while True:
        evs = pump.step(1.0)
        if evs is None:
            return
        for ev in evs:
            if isinstance(ev, h2.events.RequestReceived):
                hdrs = {}
                for k, v in ev.headers:
                    hdrs[k] = v if k not in hdrs else hdrs[k] + ", " + v
                srv.record(event="connect", stream=ev.stream_id, headers=hdrs, peer_uris=facts["uris"],
                           peer_addr=peer, tls_version=tls.version())
                auth = parse_authority(hdrs.get(":authority", ""))
                if (hdrs.get(":method") != "CONNECT" or auth is None or auth[1] is None
                        or ":scheme" in hdrs or ":path" in hdrs):
                    conn.send_headers(ev.stream_id, [(":status", "400")], end_stream=True)
                    continue
                conn.send_headers(ev.stream_id, [(":status", "200")])
                apps[ev.stream_id] = AppStream(srv, pump, ev.stream_id, hdrs[":authority"], peer,
                                               hdrs.get("forwarded", ""))
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id in apps:
                apps[ev.stream_id].data(ev.data)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in apps:
                apps[ev.stream_id].eof()
            elif isinstance(ev, h2.events.StreamReset):
                apps.pop(ev.stream_id, None)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                pump.drain()
                return
        for sid, app in list(apps.items()):  # xfer streams log once everything went out
            if app.mode == "xfer" and not pump.queued(sid):
                app._maybe_log()


class Server:
    def __init__(self, a):
        self.app, self.name, self.trust_domain = a.app, a.name, a.trust_domain
        self.record = Recorder(a.record)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(a.cert, a.key)
        ctx.load_verify_locations(a.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.set_alpn_protocols(["h2"])
        self.ctx = ctx

    def handle(self, sock: socket.socket, addr) -> None:
        peer = f"{addr[0]}:{addr[1]}"
        sock.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.record(event="handshake_failed", peer_addr=peer, error=str(e))
            sock.close()
            return
        try:
            serve_conn(self, tls, peer)
        except (ssl.SSLError, OSError, h2.exceptions.ProtocolError) as e:
            self.record(event="connection_error", peer_addr=peer, error=f"{type(e).__name__}: {e}")
        finally:
            tls.close()


def server(a) -> int:
    srv = Server(a)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(128)
    print(json.dumps({"listening": a.port, "pid": os.getpid()}), flush=True)
    while True:
        s, addr = ls.accept()
        threading.Thread(target=srv.handle, args=(s, addr), daemon=True).start()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="hbone_peer")
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("client")
    c.add_argument("--addr", required=True, help="ip:port of the HBONE listener (…:15008)")
    c.add_argument("--authority", required=True, help=":authority, normally <pod ip>:<app port>")
    c.add_argument("--cert")
    c.add_argument("--key")
    c.add_argument("--ca")
    c.add_argument("--expect-san")
    c.add_argument("--expect-status", type=int, default=200)
    c.add_argument("--app", choices=("echo", "who", "raw", "xfer", "none"), default="echo")
    c.add_argument("--xfer-id", default="x")
    c.add_argument("--message")
    c.add_argument("--bytes", type=int, default=4096)
    c.add_argument("--streams", type=int, default=1)
    c.add_argument("--method", default="CONNECT")
    c.add_argument("--scheme-path", action="store_true", help="add :scheme/:path (malformed CONNECT)")
    c.add_argument("--forwarded")
    c.add_argument("--baggage")
    c.add_argument("--traceparent")
    c.add_argument("--timeout", type=float, default=10.0)
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--record", required=True)
    s.add_argument("--bind", default="0.0.0.0")
    s.add_argument("--port", type=int, default=15008)
    s.add_argument("--trust-domain")
    s.add_argument("--app", choices=("podtool", "echo"), default="podtool")
    s.add_argument("--name", default=os.environ.get("ZLAB_POD", "hbone-peer"))
    a = p.parse_args(argv)
    if a.mode == "server":
        return server(a)
    res = client(a)
    print(json.dumps(res), flush=True)
    return 0 if res.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
