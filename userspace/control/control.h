// The daemon's control socket (<run-dir>/ztunnel.sock): one JSON request per connection,
// optionally carrying one file descriptor (SCM_RIGHTS, e.g. a pod's netns), one JSON reply. This
// is the protocol and its client; the daemon's server is ztunnel/net/control_server.h.
//
// Framing (both directions): one JSON object in compact form (no raw newlines) followed by
// "\n". The client's fd rides as SCM_RIGHTS ancillary data on the first sendmsg() of the
// request. The server answers with one line and closes. Requests are limited to 1 MiB and
// must arrive within 5 s. Debuggable by hand:
//   echo '{"op":"status"}' | socat - UNIX-CONNECT:/var/run/zmesh/ztunnel.sock
//
// Replies are {"ok": true, ...} or {"ok": false, "error": "..."}. Ops (builders in ops.h;
// the daemon may add fields, clients must ignore unknown ones):
//   enroll       -> {"op":"enroll","pod":"NS/NAME","netns":"/run/netns/x"} + netns fd (O_RDONLY)
//                <- {"ok":true}   (optionally "netnsCookie")
//   unenroll     -> {"op":"unenroll","pod":"NS/NAME"}
//                <- {"ok":true}
//   status       -> {"op":"status"}
//                <- {"ok":true,"status":{"node":"node1","version":"0.1.0","uptimeSeconds":42,
//                    "workers":2,"ports":{"outbound":15001,"inboundPlaintext":15006},
//                    "bpfPinRoot":"...","bpfPinsReused":false,"cgroupRoot":"...",
//                    "configDir":"...","configErrors":["..."],
//                    "enrolled":[{"pod":"NS/NAME","netns":"...","netnsCookie":4099,
//                                 "ip":"10.1.0.2"}]}}
//   cni_add      -> {"op":"cni_add","pod":"NS/NAME","containerId":"..","netns":"/run/netns/x",
//                    "ips":["10.244.0.11"]} + netns fd (from zmesh-cni on CNI ADD)
//                <- {"ok":true,"mesh":true|false|null,"enrolled":bool,"reason":"..",
//                    "namespaceAmbient":bool}   (mesh null: the pod is not in the view yet)
//                <- {"ok":false,"error":".."}   a mesh pod that could not be enrolled
//   cni_del      -> {"op":"cni_del","pod":..,"containerId":..,"netns":..}
//                <- {"ok":true,"unenrolled":bool}
//   cni_check    -> {"op":"cni_check","pod":..,"containerId":..,"netns":..}
//                <- {"ok":true,"mesh":..,"enrolled":..,"reason":..} or {"ok":false,...}
//   config_dump  -> {"op":"config_dump"}
//                <- {"ok":true,"config":{...}}  (the document :15000/config_dump serves:
//                   workloads, services, node, enrolled, configErrors)
// Errors: unknown op -> {"ok":false,"error":"unknown op \"x\""}; a request that is not a
// JSON object is answered {"ok":false,"error":"invalid request: ..."} by Server itself, and
// a handler that throws yields {"ok":false,"error":<what()>}.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace zmesh::control {

inline constexpr const char* kSocketName = "ztunnel.sock";
inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};

// <run_dir>/ztunnel.sock
std::string socket_path(const std::string& run_dir);

// Client side (zmeshctl, tests): sends `request` (and `fd` when >= 0), waits for the reply.
// Errors are transport errors only ("cannot reach ztunnel at <path>: ...", timeout, bad
// reply); a daemon's {"ok":false,...} reply is returned as a value for the caller to show.
Result<nlohmann::json> call(const std::string& socket_path, const nlohmann::json& request,
                            int fd = -1, std::chrono::milliseconds timeout = kDefaultTimeout);

}  // namespace zmesh::control
