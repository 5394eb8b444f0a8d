"""zkube: a real Kubernetes API server (kube-apiserver + etcd, built by scripts/setup-k8s) on
loopback for tests, with Istio's CRDs applied. See cluster.py for what it does and does not run."""
from .client import ApiError, KubeClient, KubeError, Watch  # noqa: F401
from .cluster import ISSUER, ISTIO_CRDS, KubeCluster  # noqa: F401
from .procs import bin_dir, pinned_versions, reap_stale  # noqa: F401
from .tokens import ServiceAccountToken  # noqa: F401
from . import objects  # noqa: F401
