"""zmesh node lab: simulated nodes and pods (network namespaces, veths, cgroups) for e2e tests,
the demo and benchmarks. See lab.py for the shape and naming."""
from .host import LabError, StopWaiting, cgroup2_root, http_get, in_netns, wait_for  # noqa: F401
from .kube import metric_sum, parse_prometheus  # noqa: F401
from .lab import APP_PORT, MESH_NS, PLAIN_NS, SVC_PORT, Lab, Node, Pod  # noqa: F401
from .reap import list_labs, reap_stale  # noqa: F401
