{{/* Names and labels shared by every object of the release. */}}

{{- define "zmesh.labels" -}}
app.kubernetes.io/part-of: zmesh
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "zmesh.ztunnel.name" -}}
{{ printf "%s-ztunnel" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "zmesh.ca.name" -}}
{{ printf "%s-ca" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "zmesh.serviceAccountName" -}}
{{ default (include "zmesh.ztunnel.name" .) .Values.serviceAccount.name }}
{{- end -}}

{{- define "zmesh.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}

{{/* Paths inside the ztunnel container. The host's /sys/fs/* trees are mounted under /host, not at
     /sys: the container runtime's default AppArmor profile denies writes below /sys (pins are writes),
     and /sys/fs/cgroup in the container is the container's own cgroup namespace view. */}}
{{- define "zmesh.path.bpffs" -}}/host/sys/fs/bpf{{- end -}}
{{- define "zmesh.path.cgroup" -}}/host/sys/fs/cgroup{{- end -}}
{{- define "zmesh.path.caDir" -}}/etc/zmesh/ca{{- end -}}
{{- define "zmesh.path.nodeCredentials" -}}/etc/zmesh/node-credentials{{- end -}}

{{/* Where the init container and the ztunnel container see the node's CNI directories and /proc. */}}
{{- define "zmesh.path.cniBin" -}}/host/opt/cni/bin{{- end -}}
{{- define "zmesh.path.cniConf" -}}/host/etc/cni/net.d{{- end -}}
{{- define "zmesh.path.proc" -}}/host/proc{{- end -}}

{{/* zmesh-cni's directories and owner flags, shared by install (init container) and uninstall (preStop). */}}
{{- define "zmesh.cni.commonArgs" -}}
- --cni-bin-dir
- {{ include "zmesh.path.cniBin" . }}
- --cni-conf-dir
- {{ include "zmesh.path.cniConf" . }}
- --run-dir
- {{ .Values.host.runDir }}
- --owner-env
- POD_UID
{{- end -}}
