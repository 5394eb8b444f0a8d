"""A small Kubernetes REST client on http.client (stdlib only): requests, resource paths from
discovery, and watches read as the newline-delimited JSON events the API server streams.

It is the harness's own client, independent of the daemon's C++ one, so tests can drive the
server and check what it really says (status codes, event order, resourceVersions).

    api = cluster.api                          # admin (client cert); cluster.client(token=...) for others
    st, body = api.request("GET", "/api/v1/namespaces", params={"limit": 2})
    with api.watch("/api/v1/namespaces/default/pods", resource_version=rv) as w:
        ev = w.next_event(timeout=10)          # {"type": "ADDED", "object": {...}}
"""
from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.parse

from zlab.host import LabError


class KubeError(LabError):
    pass


class ApiError(KubeError):
    """A non-2xx answer; .status and .body (the Status object when the server sent one)."""

    def __init__(self, method: str, path: str, status: int, body):
        self.status, self.body = status, body
        msg = body.get("message") if isinstance(body, dict) else str(body)[:300]
        super().__init__(f"{method} {path}: HTTP {status}: {msg}")


def _decode(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class Watch:
    """One open watch stream. status/body hold a non-200 answer (e.g. 410) instead of events."""

    def __init__(self, conn: http.client.HTTPSConnection, resp: http.client.HTTPResponse):
        self.conn, self.resp = conn, resp
        self.status = resp.status
        self.body = _decode(resp.read()) if resp.status != 200 else None
        self.closed = resp.status != 200

    def next_event(self, timeout: float = 10.0) -> dict | None:
        """The next event, or None when the server ended the stream (timeoutSeconds or shutdown).
        Raises socket.timeout (TimeoutError) if nothing arrives within timeout."""
        if self.closed:
            return None
        self.conn.sock.settimeout(timeout)
        line = self.resp.readline()  # http.client undoes the chunked encoding
        if not line:
            self.closed = True
            return None
        return json.loads(line)

    def events_until(self, pred, timeout: float = 20.0) -> list[dict]:
        """Read events until pred(event) is true; return all read (the last one matched)."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KubeError(f"no matching watch event within {timeout}s; got {[e.get('type') for e in out]}")
            try:
                ev = self.next_event(timeout=left)
            except (socket.timeout, TimeoutError):
                continue
            if ev is None:
                raise KubeError(f"watch ended before a matching event; got {[e.get('type') for e in out]}")
            out.append(ev)
            if pred(ev):
                return out

    def close(self) -> None:
        self.closed = True
        try:
            self.conn.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class KubeClient:
    def __init__(self, server: str, ca_file: str, cert_file: str | None = None, key_file: str | None = None,
                 token: str | None = None, timeout: float = 30.0):
        u = urllib.parse.urlsplit(server)
        self.host, self.port = u.hostname, u.port or 443
        self.server, self.token, self.timeout = server, token, timeout
        self.ctx = ssl.create_default_context(cafile=ca_file)
        if cert_file:
            self.ctx.load_cert_chain(cert_file, key_file)
        self._resources: dict[str, dict] = {}

    # ------------------------------------------------------------ raw requests
    def _conn(self, timeout: float | None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                           timeout=timeout or self.timeout)

    def _headers(self, content_type: str | None) -> dict:
        h = {"Accept": "application/json"}
        if content_type:
            h["Content-Type"] = content_type
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    @staticmethod
    def _url(path: str, params: dict | None) -> str:
        if not params:
            return path
        return path + "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})

    def request(self, method: str, path: str, body=None, params: dict | None = None,
                content_type: str = "application/json", timeout: float | None = None) -> tuple[int, object]:
        """(HTTP status, decoded JSON body or text). Never raises for an HTTP status."""
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        c = self._conn(timeout)
        try:
            c.request(method, self._url(path, params), body=data,
                      headers=self._headers(content_type if data is not None else None))
            r = c.getresponse()
            return r.status, _decode(r.read())
        finally:
            c.close()

    def call(self, method: str, path: str, body=None, params: dict | None = None,
             content_type: str = "application/json", timeout: float | None = None):
        """Like request(), but returns only the body and raises ApiError for a non-2xx status."""
        st, out = self.request(method, path, body, params, content_type, timeout)
        if not 200 <= st < 300:
            raise ApiError(method, path, st, out)
        return out

    def watch(self, path: str, resource_version: str | None = None, bookmarks: bool = True,
              timeout_seconds: int | None = None, params: dict | None = None) -> Watch:
        q = {"watch": "1", "resourceVersion": resource_version,
             "allowWatchBookmarks": "true" if bookmarks else None, "timeoutSeconds": timeout_seconds}
        q.update(params or {})
        c = self._conn(None)
        c.request("GET", self._url(path, q), headers=self._headers(None))
        return Watch(c, c.getresponse())

    # ------------------------------------------------------------ typed paths from discovery
    def resource(self, api_version: str, kind: str) -> dict:
        """Discovery's APIResource for a kind: {"name": plural, "namespaced": bool, ...}."""
        key = f"{api_version}/{kind}"
        if key not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            for r in self.call("GET", base)["resources"]:
                if "/" not in r["name"]:
                    self._resources[f"{api_version}/{r['kind']}"] = r
            if key not in self._resources:
                raise KubeError(f"the API server serves no kind {kind} in {api_version}")
        return self._resources[key]

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        r = self.resource(api_version, kind)
        p = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if r["namespaced"] and namespace:
            p += f"/namespaces/{namespace}"
        p += f"/{r['name']}"
        if name:
            p += f"/{name}"
        if subresource:
            p += f"/{subresource}"
        return p

    def path_of(self, obj: dict, subresource: str | None = None) -> str:
        md = obj["metadata"]
        return self.path(obj["apiVersion"], obj["kind"], md.get("namespace"), md["name"], subresource)

    # ------------------------------------------------------------ object verbs
    def create(self, obj: dict) -> dict:
        md = obj["metadata"]
        return self.call("POST", self.path(obj["apiVersion"], obj["kind"], md.get("namespace")), obj)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict:
        return self.call("GET", self.path(api_version, kind, namespace, name))

    def list(self, api_version: str, kind: str, namespace: str | None = None, **params) -> dict:
        return self.call("GET", self.path(api_version, kind, namespace), params=params)

    def merge_patch(self, obj_or_path, patch: dict, subresource: str | None = None) -> dict:
        path = obj_or_path if isinstance(obj_or_path, str) else self.path_of(obj_or_path, subresource)
        return self.call("PATCH", path, patch, content_type="application/merge-patch+json")

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               grace_seconds: int | None = None, missing_ok: bool = True) -> dict | None:
        body = None if grace_seconds is None else {"kind": "DeleteOptions", "apiVersion": "v1",
                                                   "gracePeriodSeconds": grace_seconds}
        st, out = self.request("DELETE", self.path(api_version, kind, namespace, name), body)
        if st == 404 and missing_ok:
            return None
        if not 200 <= st < 300:
            raise ApiError("DELETE", self.path(api_version, kind, namespace, name), st, out)
        return out
