{{/* Platform hooks: extra env, volumes and labels, shutdown timing, the memory check --------- */}}

{{/*
  The API's shutdown drain deadline in seconds: after SIGTERM it finishes in-flight requests
  and exits within this long (SHUTDOWN_DEADLINE_MS in apps/api/src/main.ts; a test keeps the
  two equal).
*/}}
{{- define "orderops.shutdownDeadlineSeconds" -}}10{{- end -}}

{{/* Labels the chart owns: selectors and tooling depend on them, so no value may set them. */}}
{{- define "orderops.checkLabels" -}}
{{- range $value := list "commonLabels" "podLabels" -}}
{{- range $key, $_ := (get $.Values $value | default dict) -}}
{{- if or (hasPrefix "app.kubernetes.io/" $key) (hasPrefix "helm.sh/" $key) -}}
{{- fail (printf "orderops: %s must not set %s: the chart sets it (selectors and helm depend on it)" $value $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $key, $_ := (.Values.podLabels | default dict) -}}
{{- if hasKey ($.Values.commonLabels | default dict) $key -}}
{{- fail (printf "orderops: podLabels and commonLabels both set %s: set it in one of them" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of a pod template: the object labels plus podLabels. */}}
{{- define "orderops.podLabels" -}}
{{- include "orderops.labels" . }}
{{- with .root.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Names of the environment variables the chart sets itself, in either pod. */}}
{{- define "orderops.managedEnvNames" -}}
{{- $names := list "NODE_ENV" "HOST" "PORT" "NODE_OPTIONS" -}}
{{- range $name := list "DATABASE_URL" "ORDEROPS_MASTER_KEYS" "ORDEROPS_BLIND_INDEX_KEY" "REDIS_URL" "ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD" "DATABASE_SSL_CA" -}}
{{- $names = concat $names (list $name (printf "%s_FILE" $name)) -}}
{{- end -}}
{{- $names = concat $names (keys (include "orderops.configData" . | fromYaml)) -}}
{{- dict "names" ($names | uniq | sortAlpha) | toJson -}}
{{- end -}}

{{/* extraEnv, refusing a name the chart sets: a duplicate would silently override a value. */}}
{{- define "orderops.extraEnv" -}}
{{- $managed := (include "orderops.managedEnvNames" . | fromJson).names -}}
{{- range .Values.extraEnv -}}
{{- if eq .name "NODE_TLS_REJECT_UNAUTHORIZED" -}}
{{- fail "orderops: extraEnv must not set NODE_TLS_REJECT_UNAUTHORIZED: it turns off certificate verification for every connection, the database's included. Mount the CA bundle (extraVolumes, extraVolumeMounts) and set NODE_EXTRA_CA_CERTS to its path instead" -}}
{{- end -}}
{{- if has .name $managed -}}
{{- fail (printf "orderops: extraEnv must not set %s: the chart sets it (use the matching config.*, nodeHeap.*, secrets.* or database.* value)" .name) -}}
{{- end -}}
{{- end -}}
{{- with .Values.extraEnv -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{- define "orderops.checkExtraVolumes" -}}
{{- range .Values.extraVolumes -}}
{{- if has .name (list "tmp" "credentials") -}}
{{- fail (printf "orderops: extraVolumes must not name a volume %s: the chart uses that name" .name) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraVolumeMounts -}}
{{- if has .name (list "tmp" "credentials") -}}
{{- fail (printf "orderops: extraVolumeMounts must not mount the chart's volume %s" .name) -}}
{{- end -}}
{{- $path := trimSuffix "/" .mountPath -}}
{{- if or (eq $path "/tmp") (eq $path (include "orderops.secretMountPath" $)) -}}
{{- fail (printf "orderops: extraVolumeMounts must not mount at %s: the chart mounts there" .mountPath) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
  The kubelet sends SIGTERM only after preStop, and kills the container when the grace period
  (counted from the start of preStop) ends: it must cover the sleep plus the API's drain.
*/}}
{{- define "orderops.checkGracePeriod" -}}
{{- range $hook, $handler := (.Values.lifecycle | default dict) -}}
{{- $actions := keys ($handler | default dict) | sortAlpha -}}
{{- if gt (len $actions) 1 -}}
{{- fail (printf "orderops: lifecycle.%s has %s: a handler takes exactly one action (helm merges your lifecycle into the chart's default; set lifecycle.%s.sleep=null to replace the default sleep)" $hook (join " and " $actions) $hook) -}}
{{- end -}}
{{- end -}}
{{- /* Unset (an upgrade reusing an older chart's values): Kubernetes' own default, 30 s. */ -}}
{{- $grace := .Values.terminationGracePeriodSeconds | default 30 | int64 -}}
{{- $drain := include "orderops.shutdownDeadlineSeconds" . | int64 -}}
{{- $sleep := 0 -}}
{{- with .Values.lifecycle }}{{ with .preStop }}{{ with .sleep }}{{ $sleep = .seconds | int64 }}{{ end }}{{ end }}{{ end -}}
{{- if lt $grace (add $sleep $drain) -}}
{{- fail (printf "orderops: terminationGracePeriodSeconds (%d) must be at least lifecycle.preStop.sleep.seconds (%d) + %d s (the API's shutdown drain): the kubelet would kill pods mid-request during rolling updates" $grace $sleep $drain) -}}
{{- end -}}
{{- end -}}

{{/*
  Old space plus two semi-spaces must fit in 75% of a container's memory limit: the rest is
  code, buffers and native memory; beyond it the kernel kills the pod under load.
  Call with (dict "root" . "path" "resources" "resources" .Values.resources).
*/}}
{{- define "orderops.checkHeapFits" -}}
{{- $h := .root.Values.nodeHeap -}}
{{- $heapMiB := add ($h.maxOldSpaceMiB | int64) (mul 2 ($h.maxSemiSpaceMiB | int64)) -}}
{{- $limit := ((.resources | default dict).limits | default dict).memory -}}
{{- if $limit -}}
{{- $limitBytes := include "orderops.quantityBytes" $limit | int64 -}}
{{- if gt (mul $heapMiB 1048576 4) (mul $limitBytes 3) -}}
{{- $neededMiB := div (add (mul $heapMiB 4) 2) 3 -}}
{{- fail (printf "orderops: %s.limits.memory (%v) is too small for the V8 heap: nodeHeap.maxOldSpaceMiB (%d) + 2 x nodeHeap.maxSemiSpaceMiB (%d) = %d MiB must fit in 75%% of it. Set %s.limits.memory to at least %dMi, or lower nodeHeap" .path $limit ($h.maxOldSpaceMiB | int64) ($h.maxSemiSpaceMiB | int64) $heapMiB .path $neededMiB) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* TRUST_PROXY: the explicit value, or derived from whether an ingress controller is in front. */}}
{{- define "orderops.trustProxy" -}}
{{- $v := .Values.config.trustProxy -}}
{{- if kindIs "invalid" $v -}}
{{- ternary 1 0 .Values.ingress.enabled -}}
{{- else -}}
{{- $v | int64 -}}
{{- end -}}
{{- end -}}

{{/* The credentials Secret key holding the first admin's password, or nothing. */}}
{{- define "orderops.bootstrapPasswordKey" -}}
{{- range (include "orderops.secretItems" . | fromJson).items -}}
{{- if eq .env "ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD" -}}{{ .key }}{{- end -}}
{{- end -}}
{{- end -}}
