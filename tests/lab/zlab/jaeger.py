"""A real Jaeger (v2 all-in-one, built by scripts/setup-jaeger) on loopback: the trace collector tests
send spans to and read them back from.

    with Jaeger("tracing") as j:
        # OTLP/gRPC to 127.0.0.1:j.otlp_grpc_port, OTLP/HTTP to http://127.0.0.1:j.otlp_http_port/v1/traces,
        # Zipkin v2 to http://127.0.0.1:j.zipkin_port/api/v2/spans
        trace = j.wait_for_trace("4bf92f3577b34da6a3ce929d0e0e4736", min_spans=2)
        j.traces(service="productpage")       # the query API's `data`: a list of traces

Jaeger v2 is an OpenTelemetry Collector with Jaeger's components; this one runs the pipeline
  receivers otlp (grpc + http) and zipkin -> processor batch -> exporter jaeger_storage_exporter
into an in-memory store (extension jaeger_storage), which extension jaeger_query serves over HTTP
(/api/traces/<id>, /api/traces?service=..., /api/services). What it returns is Jaeger's JSON model,
not OTLP's: per trace {traceID, spans, processes}; per span traceID and spanID (hex; a trace id
whose high 64 bits are zero comes back as 16 digits), operationName, startTime and duration in
microseconds, references [{refType: CHILD_OF, traceID, spanID}] for the parent ([] for a root; a
parent Jaeger has not seen adds a span warning "invalid parent span IDs=..."), tags
[{key, type: string|int64|float64|bool, value}] holding the attributes plus span.kind ("server",
"client", ...; none for an unspecified kind), otel.scope.name/version and, for an error status,
error=true, otel.status_code, otel.status_description; events as logs [{timestamp, fields}];
processID -> processes[pid] = {serviceName, tags: the other resource attributes}. A Zipkin span's
endpoints become span tags (net.host.ip/port, net.peer.ip/port, peer.service).

Every listener is on 127.0.0.1 at a free port: the defaults (4317, 4318, 9411, 16686, 16685 and
the collector's own metrics on 8888) would clash with a second instance, and Jaeger's query ports
default to every interface. The query service's self-tracing is off (it would export Jaeger's own
spans to OTLP on localhost:4317, whoever that is). The collector refuses unknown config keys, so
a typo here fails start() with the error in the log. The binary has no UI assets (Jaeger's build
generates them; the module does not ship them): the query API works, / shows a placeholder.
The config and the log go to <ZLAB_LOG_ROOT>/jaeger-<name>-<random>/ and are kept after stop;
log_tail() is for failure output. The process dies with the test (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from .host import LAB_LOG_ROOT, LabError, StopWaiting, http_get, kill_popen, log, log_tail, log_text, wait_for

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
JAEGER_GO_MOD = os.path.join(REPO, "scripts", "jaeger", "go.mod")
JAEGER_MODULE = "github.com/jaegertracing/jaeger"
READY_LINE = "Everything is ready"   # the collector logs it once every component has started
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def pinned_version() -> str:
    """The Jaeger release scripts/jaeger/go.mod pins (e.g. v1.75.0), read as scripts/setup-jaeger does."""
    with open(JAEGER_GO_MOD) as f:
        for line in f:
            parts = line.split()
            if "=>" in parts or JAEGER_MODULE not in parts:
                continue
            i = parts.index(JAEGER_MODULE)
            if i + 1 < len(parts) and parts[i + 1].startswith("v"):
                return parts[i + 1]
    raise LabError(f"no {JAEGER_MODULE} version in {JAEGER_GO_MOD}")


def jaeger_path() -> str:
    """The jaeger binary scripts/setup-jaeger built (ZMESH_JAEGER_BIN overrides): the same path it
    computes, $ZMESH_JAEGER_CACHE (default /var/cache/zmesh/jaeger)/<version>/bin/jaeger."""
    if os.environ.get("ZMESH_JAEGER_BIN"):
        return os.environ["ZMESH_JAEGER_BIN"]
    cache = os.environ.get("ZMESH_JAEGER_CACHE", "/var/cache/zmesh/jaeger")
    path = os.path.join(cache, pinned_version(), "bin", "jaeger")
    if not os.access(path, os.X_OK):
        raise LabError(f"{path} is missing: run scripts/setup-jaeger (scripts/test does) to build jaeger")
    return path


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports of 127.0.0.1 (all held at once while picking, so no repeats)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


CONFIG = """\
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp, zipkin]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: {host}
                port: {metrics_port}
    logs:
      level: info

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: {host}:{query_port}
    grpc:
      endpoint: {host}:{query_grpc_port}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {host}:{otlp_grpc_port}
      http:
        endpoint: {host}:{otlp_http_port}
  zipkin:
    endpoint: {host}:{zipkin_port}

processors:
  batch:

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
"""


class Jaeger:
    """One Jaeger process on loopback; a context manager (start on enter, stop on exit)."""

    def __init__(self, name: str = "jaeger", binary: str | None = None, netns_path: str | None = None,
                 host: str = "127.0.0.1"):
        """netns_path: run inside that network namespace (a lab pod's: the daemons reach it as they
        reach any pod), listening on `host` there (an address of that namespace, or 0.0.0.0) at
        Jaeger's standard ports (the namespace is the test's own); the query API is read from
        inside it too. Without: on the host's loopback at free ports."""
        self.name = name
        self.netns_path = netns_path
        self.host = host
        self.binary = binary or jaeger_path()
        self.log_dir = os.path.join(LAB_LOG_ROOT, f"jaeger-{name}-{secrets.token_hex(3)}")
        self.config_path = os.path.join(self.log_dir, "config.yaml")
        self.log_path = os.path.join(self.log_dir, "jaeger.log")
        self.proc: subprocess.Popen | None = None
        self.otlp_grpc_port = self.otlp_http_port = self.zipkin_port = 0
        self.query_port = self.query_grpc_port = self.metrics_port = 0

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Jaeger":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        if self.netns_path:
            ports = [4317, 4318, 9411, 16686, 16685, 8888]  # Jaeger's own, in a namespace of ours
        else:
            ports = free_ports(6)
        (self.otlp_grpc_port, self.otlp_http_port, self.zipkin_port, self.query_port,
         self.query_grpc_port, self.metrics_port) = ports
        with open(self.config_path, "w") as f:
            f.write(CONFIG.format(host=self.host, **self.ports()))
        cmd = [self.binary, "--config", f"file:{self.config_path}"]
        if self.netns_path:
            cmd = ["nsenter", f"--net={self.netns_path}", *cmd]
        # OTEL_* in our environment (an exporter endpoint, resource attributes) must not reach it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        with open(self.log_path, "ab") as out:
            out.write(f"=== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True, preexec_fn=_die_with_parent)
        log(f"jaeger {self.name}: pid {self.proc.pid}, {self.ports()}; log {self.log_path}")
        try:
            wait_for(self._ready, timeout, interval=0.1, what=f"jaeger {self.name} to be ready")
        except LabError as e:
            self.stop()
            raise LabError(f"{e}\n{self.log_tail()}") from None

    def _ready(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise StopWaiting(f"jaeger {self.name} exited (status {code}) before it was ready")
        if READY_LINE not in self.log_text():
            return False
        # The query API answers once the storage and query extensions are up.
        status, _ = self._get("/api/services")
        return status == 200

    def stop(self) -> None:
        """SIGTERM (the collector drains its pipeline and exits), SIGKILL after 10 s. The log stays."""
        if self.proc is not None:
            kill_popen(self.proc, signal.SIGTERM, wait=10.0)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ports(self) -> dict[str, int]:
        return {"otlp_grpc_port": self.otlp_grpc_port, "otlp_http_port": self.otlp_http_port,
                "zipkin_port": self.zipkin_port, "query_port": self.query_port,
                "query_grpc_port": self.query_grpc_port, "metrics_port": self.metrics_port}

    # ------------------------------------------------------------ endpoints
    @property
    def otlp_http_url(self) -> str:
        return f"http://{self.host}:{self.otlp_http_port}/v1/traces"

    @property
    def zipkin_url(self) -> str:
        return f"http://{self.host}:{self.zipkin_port}/api/v2/spans"

    # ------------------------------------------------------------ query API
    def _get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        if self.netns_path:
            host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
            status, text = http_get(self.netns_path, host, self.query_port, path, timeout)
            return status, text.encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.query_port}{path}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def traces(self, service: str | None = None, trace_id: str | None = None, limit: int = 100) -> list[dict]:
        """The query API's `data`: [trace] for trace_id (/api/traces/<id>; [] if Jaeger has no such
        trace), or the traces of service (/api/traces?service=...; default lookback of the query
        API, newest `limit`). Each trace: {traceID, spans: [...], processes: {pid: {serviceName, tags}}}."""
        if trace_id:
            path = f"/api/traces/{urllib.parse.quote(trace_id)}"
        elif service:
            path = "/api/traces?" + urllib.parse.urlencode({"service": service, "limit": limit})
        else:
            raise ValueError("traces() needs a service or a trace_id")
        status, body = self._get(path)
        if status == 404 and trace_id:
            return []
        if status != 200:
            raise LabError(f"jaeger {self.name}: GET {path} answered {status}: {body[:500]!r}")
        return json.loads(body).get("data") or []

    def services(self) -> list[str]:
        status, body = self._get("/api/services")
        if status != 200:
            raise LabError(f"jaeger {self.name}: GET /api/services answered {status}: {body[:500]!r}")
        return json.loads(body).get("data") or []

    def wait_for_trace(self, trace_id: str, min_spans: int = 1, timeout: float = 15.0) -> dict:
        """Poll /api/traces/<trace_id> until the trace has at least min_spans spans; return the trace."""
        def have():
            if not self.alive():
                raise StopWaiting(f"jaeger {self.name} exited (status {self.proc.returncode})")
            for t in self.traces(trace_id=trace_id):
                if len(t.get("spans", [])) >= min_spans:
                    return t
            return None
        try:
            return wait_for(have, timeout, interval=0.1, what=f"trace {trace_id} with >= {min_spans} spans")
        except LabError as e:
            found = self.traces(trace_id=trace_id) if self.alive() else []
            spans = sum(len(t.get("spans", [])) for t in found)
            raise LabError(f"{e}; jaeger has {spans} span(s) of it\n{self.log_tail()}") from None

    # ------------------------------------------------------------ logs
    def log_text(self) -> str:
        return log_text(self.log_path)

    def log_tail(self, n: int = 40) -> str:
        return log_tail(self.log_path, n)
