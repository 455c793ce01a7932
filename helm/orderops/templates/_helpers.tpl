{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "orderops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "orderops.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "orderops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "orderops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "orderops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels ------------------------------------------------------------------------------ */}}

{{/* Labels of every object; pass (dict "root" . "component" NAME) to add the component. */}}
{{- define "orderops.labels" -}}
{{- $root := .root | default . -}}
helm.sh/chart: {{ include "orderops.chart" $root }}
app.kubernetes.io/name: {{ include "orderops.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: orderops
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: api, migrate or helm-test. */}}
{{- define "orderops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orderops.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image --------------------------------------------------------------------------------- */}}

{{- define "orderops.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq (lower $tag) "latest" -}}
{{- fail (printf "orderops: image.tag %q is refused: it moves, so the pods of one release could run different code and a rollback would not restore the old one. Set image.tag to a release such as %s (empty means the chart's appVersion), and pin image.digest (sha256:...)" $tag .Chart.AppVersion) -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Credentials --------------------------------------------------------------------------
  Exactly one source: an existing Secret (recommended), an ExternalSecret, or explicit
  values rendered into a Secret by this chart. Nothing is ever defaulted. */}}

{{- define "orderops.secretMode" -}}
{{- $v := .Values.secrets.values | default dict -}}
{{- $modes := list -}}
{{- if .Values.secrets.existingSecret -}}
{{- $modes = append $modes "existingSecret" -}}
{{- end -}}
{{- if .Values.externalSecret.enabled -}}
{{- $modes = append $modes "externalSecret" -}}
{{- end -}}
{{- if or $v.databaseUrl $v.masterKeys $v.blindIndexKey $v.redisUrl $v.bootstrapAdminPassword -}}
{{- $modes = append $modes "values" -}}
{{- end -}}
{{- if eq (len $modes) 0 -}}
{{- fail "orderops: no credentials configured. Set secrets.existingSecret to the name of a Secret holding DATABASE_URL, ORDEROPS_MASTER_KEYS and ORDEROPS_BLIND_INDEX_KEY (recommended), or enable externalSecret, or give secrets.values.databaseUrl, secrets.values.masterKeys and secrets.values.blindIndexKey explicitly." -}}
{{- end -}}
{{- if gt (len $modes) 1 -}}
{{- fail (printf "orderops: set exactly one credential source, got %s" (join " and " $modes)) -}}
{{- end -}}
{{- $mode := first $modes -}}
{{- if eq $mode "values" -}}
{{- $missing := list -}}
{{- range $key := list "databaseUrl" "masterKeys" "blindIndexKey" -}}
{{- if not (get $v $key) -}}
{{- $missing = append $missing $key -}}
{{- end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "orderops: secrets.values needs databaseUrl, masterKeys and blindIndexKey; missing: %s" (join ", " $missing)) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $mode "values") .Values.redis.enabled (not $v.redisUrl) -}}
{{- fail "orderops: redis.enabled needs secrets.values.redisUrl" -}}
{{- end -}}
{{- if eq $mode "externalSecret" -}}
{{- $r := .Values.externalSecret.remoteRefs -}}
{{- if not (and .Values.externalSecret.secretStoreRef.name $r.databaseUrl.key $r.masterKeys.key ($r.blindIndexKey | default dict).key) -}}
{{- fail "orderops: externalSecret needs secretStoreRef.name and remoteRefs.databaseUrl.key and remoteRefs.masterKeys.key and remoteRefs.blindIndexKey.key" -}}
{{- end -}}
{{- if and .Values.redis.enabled (not $r.redisUrl.key) -}}
{{- fail "orderops: redis.enabled needs externalSecret.remoteRefs.redisUrl.key" -}}
{{- end -}}
{{- end -}}
{{- if and (eq $mode "existingSecret") .Values.redis.enabled (not .Values.secrets.keys.redisUrl) -}}
{{- fail "orderops: redis.enabled needs secrets.keys.redisUrl" -}}
{{- end -}}
{{- $mode -}}
{{- end -}}

{{- define "orderops.secretName" -}}
{{- $mode := include "orderops.secretMode" . -}}
{{- if eq $mode "existingSecret" -}}
{{- .Values.secrets.existingSecret -}}
{{- else if eq $mode "externalSecret" -}}
{{- default (printf "%s-credentials" (include "orderops.fullname" .)) .Values.externalSecret.targetName -}}
{{- else -}}
{{- printf "%s-credentials" (include "orderops.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The Secret's keys the pods read, as JSON {"items":[{"env":NAME,"key":KEY}]}: each is
  mounted as a file and passed as NAME_FILE. */}}
{{- define "orderops.secretItems" -}}
{{- $mode := include "orderops.secretMode" . -}}
{{- $items := list -}}
{{- if eq $mode "existingSecret" -}}
{{- $k := .Values.secrets.keys -}}
{{- $items = append $items (dict "env" "DATABASE_URL" "key" $k.databaseUrl) -}}
{{- $items = append $items (dict "env" "ORDEROPS_MASTER_KEYS" "key" $k.masterKeys) -}}
{{- /* Defaulted: `helm upgrade --reuse-values` from a chart without it leaves it unset. */ -}}
{{- $items = append $items (dict "env" "ORDEROPS_BLIND_INDEX_KEY" "key" (default "ORDEROPS_BLIND_INDEX_KEY" $k.blindIndexKey)) -}}
{{- if .Values.redis.enabled -}}
{{- $items = append $items (dict "env" "REDIS_URL" "key" $k.redisUrl) -}}
{{- end -}}
{{- if $k.bootstrapAdminPassword -}}
{{- $items = append $items (dict "env" "ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD" "key" $k.bootstrapAdminPassword) -}}
{{- end -}}
{{- else -}}
{{- $items = append $items (dict "env" "DATABASE_URL" "key" "DATABASE_URL") -}}
{{- $items = append $items (dict "env" "ORDEROPS_MASTER_KEYS" "key" "ORDEROPS_MASTER_KEYS") -}}
{{- $items = append $items (dict "env" "ORDEROPS_BLIND_INDEX_KEY" "key" "ORDEROPS_BLIND_INDEX_KEY") -}}
{{- if .Values.redis.enabled -}}
{{- $items = append $items (dict "env" "REDIS_URL" "key" "REDIS_URL") -}}
{{- end -}}
{{- $bootstrap := ternary (.Values.secrets.values | default dict).bootstrapAdminPassword .Values.externalSecret.remoteRefs.bootstrapAdminPassword.key (eq $mode "values") -}}
{{- if $bootstrap -}}
{{- $items = append $items (dict "env" "ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD" "key" "ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD") -}}
{{- end -}}
{{- end -}}
{{- dict "items" $items | toJson -}}
{{- end -}}

{{- define "orderops.secretMountPath" -}}/var/run/secrets/orderops{{- end -}}

{{/* checksum/secret: the rendered Secret or ExternalSecret, or the existing Secret's name and
  keys (its content is not visible to the chart: restart the Deployment after rotating it). */}}
{{- define "orderops.secretChecksum" -}}
{{- $mode := include "orderops.secretMode" . -}}
{{- if eq $mode "values" -}}
{{- include (print .Template.BasePath "/secret.yaml") . | sha256sum -}}
{{- else if eq $mode "externalSecret" -}}
{{- include (print .Template.BasePath "/externalsecret.yaml") . | sha256sum -}}
{{- else -}}
{{- printf "%s|%s" (include "orderops.secretName" .) (include "orderops.secretItems" .) | sha256sum -}}
{{- end -}}
{{- end -}}

{{/* Configuration --------------------------------------------------------------------------
  Non-secret settings, as a YAML map of environment variables. The ConfigMap holds them for
  the Deployment; the migration Job (a pre-install hook, before the ConfigMap exists) gets
  them inline. */}}
{{/*
  Bytes of a Kubernetes quantity (the suffixes values.schema.json allows; "m" rounds down).
*/}}
{{- define "orderops.quantityBytes" -}}
{{- $q := toString . -}}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- $suffix := regexFind "[a-zA-Z]+$" $q -}}
{{- $number := trimSuffix $suffix $q | float64 -}}
{{- if eq $suffix "m" -}}
{{- divf $number 1000 | floor | int64 -}}
{{- else if $suffix -}}
{{- mulf $number (get $units $suffix) | floor | int64 -}}
{{- else -}}
{{- $number | floor | int64 -}}
{{- end -}}
{{- end -}}

{{/*
  Uploads are received into the /tmp emptyDir before they are imported: room for every
  import the pod may run at once, or the kubelet evicts the pod mid-import.
*/}}
{{- define "orderops.checkImportSpool" -}}
{{- $c := .Values.config -}}
{{- if gt ($c.importMaxConcurrentPerPrincipal | int64) ($c.importMaxConcurrent | int64) -}}
{{- fail "orderops: config.importMaxConcurrentPerPrincipal must not exceed config.importMaxConcurrent" -}}
{{- end -}}
{{- $needed := mul ($c.importMaxBytes | int64) ($c.importMaxConcurrent | int64) -}}
{{- if le (include "orderops.quantityBytes" .Values.tmpSizeLimit | int64) $needed -}}
{{- fail (printf "orderops: tmpSizeLimit must exceed config.importMaxBytes x config.importMaxConcurrent (%d bytes): uploads are received into /tmp" $needed) -}}
{{- end -}}
{{- end -}}

{{- define "orderops.configData" -}}
{{- $c := .Values.config -}}
{{- if not $c.issuer -}}
{{- fail "orderops: config.issuer is required (the https URL clients use, e.g. https://orderops.example.com)" -}}
{{- end -}}
ORDEROPS_ISSUER: {{ $c.issuer | quote }}
ORDEROPS_DATA_DIR: "/tmp/orderops"
LOG_LEVEL: {{ $c.logLevel | quote }}
CORS_ORIGINS: {{ join "," $c.corsOrigins | quote }}
ORDEROPS_WEB_REDIRECT_URIS: {{ join "," $c.webRedirectUris | quote }}
TRUST_PROXY: {{ include "orderops.trustProxy" . | quote }}
DOCS_ENABLED: {{ $c.docsEnabled | quote }}
OAUTH_PASSWORD_GRANT: {{ $c.passwordGrant | quote }}
{{- /* Absent (values from an older chart): unset, so the API applies its production default, never none. */}}
{{- if not (kindIs "invalid" $c.mfaRequiredScopes) }}
ORDEROPS_MFA_REQUIRED_SCOPES: {{ if $c.mfaRequiredScopes }}{{ join "," $c.mfaRequiredScopes | quote }}{{ else }}"none"{{ end }}
{{- end }}
ACCESS_TOKEN_TTL_SECONDS: {{ $c.accessTokenTtlSeconds | int64 | quote }}
REFRESH_TOKEN_IDLE_SECONDS: {{ $c.refreshTokenIdleSeconds | int64 | quote }}
REFRESH_TOKEN_MAX_LIFETIME_SECONDS: {{ $c.refreshTokenMaxLifetimeSeconds | int64 | quote }}
{{- with $c.defaultCurrency }}
DEFAULT_CURRENCY: {{ . | quote }}
{{- end }}
{{- with $c.importMaxBytes }}
IMPORT_MAX_BYTES: {{ . | int64 | quote }}
{{- end }}
{{- include "orderops.checkImportSpool" . }}
IMPORT_MAX_CONCURRENT: {{ $c.importMaxConcurrent | int64 | quote }}
IMPORT_MAX_CONCURRENT_PER_PRINCIPAL: {{ $c.importMaxConcurrentPerPrincipal | int64 | quote }}
IMPORT_IDLE_TIMEOUT_MS: {{ $c.importIdleTimeoutMs | int64 | quote }}
RATE_LIMIT_PER_MINUTE: {{ $c.rateLimitPerMinute | int64 | quote }}
RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: {{ $c.rateLimitPerPrincipalPerMinute | int64 | quote }}
{{- with $c.strictRateLimitPerMinute }}
STRICT_RATE_LIMIT_PER_MINUTE: {{ . | int64 | quote }}
{{- end }}
{{- if .Values.redis.enabled }}
REDIS_KEY_PREFIX: {{ .Values.redis.keyPrefix | quote }}
{{- end }}
{{- with $c.bodyTimeoutMs }}
HTTP_BODY_TIMEOUT_MS: {{ . | int64 | quote }}
{{- end }}
DATABASE_SSL_MODE: "verify-full"
DATABASE_POOL_SIZE: {{ .Values.database.poolSize | int64 | quote }}
DATABASE_STATEMENT_TIMEOUT_MS: {{ .Values.database.statementTimeoutMs | int64 | quote }}
DATABASE_LOCK_TIMEOUT_MS: {{ .Values.database.lockTimeoutMs | int64 | quote }}
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: {{ .Values.database.idleInTransactionTimeoutMs | int64 | quote }}
DATABASE_POOL_ACQUIRE_TIMEOUT_MS: {{ .Values.database.poolAcquireTimeoutMs | int64 | quote }}
DATABASE_KEEPALIVE_IDLE_MS: {{ .Values.database.keepAliveIdleMs | int64 | quote }}
DATABASE_POOL_STALL_LIVENESS_MS: {{ .Values.database.poolStallLivenessMs | int64 | quote }}
DATABASE_MIGRATE_ON_START: "false"
METRICS_ENABLED: {{ .Values.metrics.enabled | quote }}
METRICS_PORT: {{ .Values.metrics.port | int64 | quote }}
{{- with .Values.tracing.endpoint }}
{{- /* Checked here, not in the schema: helm's schema errors quote the value, credentials and all. */ -}}
{{- if not (regexMatch "^https?://[^/@[:space:]]+(/[^[:space:]]*)?$" .) }}
{{- fail "orderops: tracing.endpoint must be an http:// or https:// URL without credentials (put a collector token in OTEL_EXPORTER_OTLP_HEADERS, from a Secret through extraEnv)" }}
{{- end }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
OTEL_TRACES_SAMPLER: "parentbased_traceidratio"
OTEL_TRACES_SAMPLER_ARG: {{ $.Values.tracing.sampleRatio | toString | quote }}
OTEL_SERVICE_NAME: {{ include "orderops.fullname" $ | quote }}
{{- end }}
{{- if .Values.database.caCert }}
DATABASE_SSL_CA: {{ .Values.database.caCert | quote }}
{{- else if .Values.database.existingCaConfigMap.name }}
DATABASE_SSL_CA_FILE: {{ printf "%s/DATABASE_SSL_CA" (include "orderops.secretMountPath" .) | quote }}
{{- end }}
{{- end -}}

{{/* Pod parts shared by the Deployment, the migration Job and the test pod ----------------- */}}

{{- define "orderops.fixedEnv" -}}
- name: NODE_ENV
  value: "production"
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: {{ .Values.containerPort | int64 | quote }}
- name: NODE_OPTIONS
  value: {{ printf "--max-old-space-size=%d --max-semi-space-size=%d" (.Values.nodeHeap.maxOldSpaceMiB | int64) (.Values.nodeHeap.maxSemiSpaceMiB | int64) | quote }}
{{- end -}}

{{- define "orderops.secretEnv" -}}
{{- range (include "orderops.secretItems" . | fromJson).items }}
- name: {{ .env }}_FILE
  value: {{ printf "%s/%s" (include "orderops.secretMountPath" $) .env | quote }}
{{- end }}
{{- end -}}

{{- define "orderops.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: credentials
  mountPath: {{ include "orderops.secretMountPath" . }}
  readOnly: true
{{- include "orderops.checkExtraVolumes" . }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "orderops.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: credentials
  projected:
    defaultMode: 288 # 0440: owner root, group fsGroup may read
    sources:
      - secret:
          name: {{ include "orderops.secretName" . }}
          items:
            {{- range (include "orderops.secretItems" . | fromJson).items }}
            - key: {{ .key }}
              path: {{ .env }}
            {{- end }}
      {{- if and (not .Values.database.caCert) .Values.database.existingCaConfigMap.name }}
      - configMap:
          name: {{ .Values.database.existingCaConfigMap.name }}
          items:
            - key: {{ .Values.database.existingCaConfigMap.key }}
              path: DATABASE_SSL_CA
      {{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "orderops.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "orderops.containerSecurityContext" -}}
{{- toYaml .Values.securityContext -}}
{{- end -}}

