"""A service-account token directory laid out like the kubelet's projected volume, with rotation.

    sa = kc.service_account_token("zmesh", "ztunnel")
    sa.dir          # token, ca.crt, namespace  (what /var/run/secrets/kubernetes.io/serviceaccount holds)
    sa.env()        # KUBERNETES_SERVICE_HOST/PORT for an in-cluster client
    old = sa.rotate()   # a new token in place; the old one is revoked (401) unless revoke_old=False

Layout as the kubelet's AtomicWriter makes it: the files are symlinks through `..data`, which is
itself a symlink swapped atomically to a new timestamped dir, so a reader never sees a torn file.
Each token is bound to its own Secret; deleting that Secret is how rotate() revokes the old token
(a bound token dies with its object), so a client that keeps the old one gets 401.
"""
from __future__ import annotations

import os
import shutil
import time

FILES = ("token", "ca.crt", "namespace")


class ServiceAccountToken:
    def __init__(self, cluster, namespace: str, service_account: str, directory: str, seconds: int = 600):
        self.cluster, self.namespace, self.service_account = cluster, namespace, service_account
        self.dir, self.seconds = directory, seconds
        os.makedirs(directory, exist_ok=True)
        self.token_path = os.path.join(directory, "token")
        self.ca_path = os.path.join(directory, "ca.crt")
        self.namespace_path = os.path.join(directory, "namespace")
        self._secret = None
        self._n = 0
        self.token = self._mint()
        self._publish()

    def _mint(self) -> str:
        self._n += 1
        name = f"zkube-token-{self.service_account}-{self._n}-{int(time.time() * 1000) % 100000}"
        secret = self.cluster.api.create({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                          "metadata": {"name": name, "namespace": self.namespace}})
        token = self.cluster.request_token(self.namespace, self.service_account, self.seconds, secret)
        self._old_secret, self._secret = self._secret, secret
        return token

    def _publish(self) -> None:
        ts = os.path.join(self.dir, f"..{time.strftime('%Y_%m_%d_%H_%M_%S')}.{self._n}")
        os.mkdir(ts)
        with open(self.cluster.pki.ca_file, "rb") as f:
            ca = f.read()
        for name, data in (("token", self.token.encode()), ("ca.crt", ca), ("namespace", self.namespace.encode())):
            with open(os.path.join(ts, name), "wb") as f:
                f.write(data)
        data_link = os.path.join(self.dir, "..data")
        old = os.readlink(data_link) if os.path.islink(data_link) else None
        tmp = os.path.join(self.dir, "..data_tmp")
        os.symlink(os.path.basename(ts), tmp)
        os.replace(tmp, data_link)
        for name in FILES:
            p = os.path.join(self.dir, name)
            if not os.path.islink(p):
                os.symlink(os.path.join("..data", name), p)
        if old:
            shutil.rmtree(os.path.join(self.dir, old), ignore_errors=True)

    def rotate(self, revoke_old: bool = True) -> str:
        """Put a new token in place; with revoke_old, the previous one stops authenticating
        (within moments: the server looks the bound Secret up through its informer). Returns
        the old token."""
        old = self.token
        self.token = self._mint()
        self._publish()
        if revoke_old and self._old_secret:
            self.cluster.delete(self._old_secret)
        return old

    def env(self) -> dict[str, str]:
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.cluster.apiserver_port)}

    def kubeconfig(self, path: str | None = None) -> str:
        """A kubeconfig that names this token file (tokenFile), for clients that take --kubeconfig."""
        # beside the directory, not in it: a projected volume holds only the three files
        default = os.path.join(os.path.dirname(self.dir), os.path.basename(self.dir) + ".kubeconfig")
        return self.cluster.write_kubeconfig(path or default,
                                             token_file=self.token_path, namespace=self.namespace)
