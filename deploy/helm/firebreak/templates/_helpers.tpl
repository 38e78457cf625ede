{{/* Names, labels and the pieces every Firebreak pod shares. */}}

{{- define "firebreak.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "firebreak.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "firebreak.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. Call with (dict "root" $ "component" <service or "">). */}}
{{- define "firebreak.labels" -}}
helm.sh/chart: {{ include "firebreak.chart" .root }}
{{ include "firebreak.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: firebreak
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels: the release, and the service (app.kubernetes.io/component) and process kind when given. */}}
{{- define "firebreak.selectorLabels" -}}
app.kubernetes.io/name: {{ include "firebreak.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- if .process }}
firebreak.io/process: {{ .process }}
{{- end }}
{{- end }}

{{/* Name of the objects of one process kind of one service: <fullname>-<service>-<kind>. */}}
{{- define "firebreak.processName" -}}
{{- printf "%s-%s-%s" (include "firebreak.fullname" .root) .service .kind }}
{{- end }}

{{/* The values of one process kind of one service: processDefaults.<kind> overridden by services.<service>.<kind>. */}}
{{- define "firebreak.process" -}}
{{- $defaults := index .root.Values.processDefaults .kind | default dict }}
{{- $own := index (index .root.Values.services .service | default dict) .kind | default dict }}
{{- toYaml (mergeOverwrite (deepCopy $defaults) (deepCopy $own)) }}
{{- end }}

{{- define "firebreak.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The `firebreak` command in the image (the Dockerfile's ENTRYPOINT). */}}
{{- define "firebreak.command" -}}
/opt/firebreak/bin/firebreak
{{- end }}

{{- define "firebreak.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "firebreak.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "firebreak.secretName" -}}
{{- include "firebreak.fullname" . }}
{{- end }}

{{/* The Secret the migration hook Jobs read: it exists before the release's own Secret does. */}}
{{- define "firebreak.hookSecretName" -}}
{{- printf "%s-migrate" (include "firebreak.fullname" .) }}
{{- end }}

{{- define "firebreak.rabbitmqClusterName" -}}
{{- printf "%s-rabbitmq" (include "firebreak.fullname" .) }}
{{- end }}

{{- define "firebreak.postgresClusterName" -}}
{{- printf "%s-postgres" (include "firebreak.fullname" .) }}
{{- end }}

{{/* When the chart creates the broker or the database, migrations can only run after install. */}}
{{- define "firebreak.migrationHooks" -}}
{{- if or .Values.rabbitmq.cluster.enabled .Values.postgresql.cluster.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end }}
{{- end }}

{{- define "firebreak.jwtEnvName" -}}
{{- if eq .Values.auth.algorithm "RS256" }}FIREBREAK_JWT_PUBLIC_KEY{{ else }}FIREBREAK_JWT_SECRET{{ end }}
{{- end }}

{{- define "firebreak.jwtSecretKey" -}}
{{- if and .Values.auth.existingSecret .Values.auth.existingSecretKey }}{{ .Values.auth.existingSecretKey }}
{{- else if eq .Values.auth.algorithm "RS256" }}jwt-public-key
{{- else }}jwt-secret
{{- end }}
{{- end }}

{{/* The HS256 secret: auth.jwtSecret, else the one this release already has, else a new random one. Memoised in
       .Values so that every template of one render (Secret, hook Secret, checksums) sees the same value. */}}
{{- define "firebreak.jwtSecret" -}}
{{- if not .Values.auth.jwtSecret }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "firebreak.secretName" .) }}
{{- $previous := dig "data" "jwt-secret" "" ($existing | default dict) }}
{{- $_ := set .Values.auth "jwtSecret" (ternary (b64dec $previous) (randAlphaNum 48) (ne $previous "")) }}
{{- end }}
{{- .Values.auth.jwtSecret }}
{{- end }}

{{/* The keys of the chart's Secret (and of the migrations' hook Secret), as a YAML map of plain strings. A URL
       that is neither given nor in an existingSecret is left out: pods then wait, naming the missing key. */}}
{{- define "firebreak.secretData" -}}
{{- if not .Values.auth.existingSecret }}
{{- if eq .Values.auth.algorithm "RS256" }}
jwt-public-key: {{ .Values.auth.jwtPublicKey | quote }}
{{- else }}
jwt-secret: {{ include "firebreak.jwtSecret" . | quote }}
{{- end }}
{{- end }}
{{- if and .Values.rabbitmq.url (not .Values.rabbitmq.cluster.enabled) (not .Values.rabbitmq.existingSecret) }}
amqp-url: {{ .Values.rabbitmq.url | quote }}
{{- end }}
{{- if and (not .Values.postgresql.cluster.enabled) (not .Values.postgresql.existingSecret) }}
{{- range $service, $url := .Values.postgresql.urls }}
{{- if $url }}
database-url-{{ $service }}: {{ $url | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.smtp.url (not .Values.smtp.existingSecret) }}
smtp-url: {{ .Values.smtp.url | quote }}
{{- end }}
{{- end }}

{{/* What the user still has to provide, one line each (shown by NOTES.txt). */}}
{{- define "firebreak.missing" -}}
{{- if not (or .Values.rabbitmq.cluster.enabled .Values.rabbitmq.existingSecret .Values.rabbitmq.url) }}
- rabbitmq.url (or rabbitmq.existingSecret, or rabbitmq.cluster.enabled)
{{- end }}
{{- if not (or .Values.postgresql.cluster.enabled .Values.postgresql.existingSecret) }}
{{- range $service, $_ := .Values.services }}
{{- if not (index $.Values.postgresql.urls $service) }}
- postgresql.urls.{{ $service }} (or postgresql.existingSecret, or postgresql.cluster.enabled)
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Values that contradict each other: fail with a message naming them. */}}
{{- define "firebreak.validate" -}}
{{- if and (not .Values.auth.existingSecret) (eq .Values.auth.algorithm "RS256") (not .Values.auth.jwtPublicKey) }}
{{- fail "auth.algorithm is RS256 but neither auth.jwtPublicKey (a PEM public key) nor auth.existingSecret is set" }}
{{- end }}
{{- if and (not .Values.auth.existingSecret) (eq .Values.auth.algorithm "HS256") .Values.auth.jwtSecret (lt (len .Values.auth.jwtSecret) 32) }}
{{- fail "auth.jwtSecret must be at least 32 characters (or leave it empty to have one generated)" }}
{{- end }}
{{- if and .Values.rabbitmq.cluster.enabled (eq (mod (int .Values.rabbitmq.cluster.replicas) 2) 0) }}
{{- fail "rabbitmq.cluster.replicas must be odd: quorum queues need a majority of nodes" }}
{{- end }}
{{- end }}

{{/* The environment of a container of one service. Call with (dict "root" $ "service" <name> "secret" <Secret name>). */}}
{{- define "firebreak.env" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
{{- if $values.postgresql.cluster.enabled }}
- name: FIREBREAK_DB_USER
  valueFrom:
    secretKeyRef: {name: {{ include "firebreak.postgresClusterName" $root }}-app, key: username}
- name: FIREBREAK_DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "firebreak.postgresClusterName" $root }}-app, key: password}
- name: DATABASE_URL
  value: {{ printf "postgresql+psycopg://$(FIREBREAK_DB_USER):$(FIREBREAK_DB_PASSWORD)@%s-rw:5432/firebreak_%s" (include "firebreak.postgresClusterName" $root) .service | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $values.postgresql.existingSecret | default .secret }}, key: database-url-{{ .service }}}
{{- end }}
{{- if $values.rabbitmq.cluster.enabled }}
- name: FIREBREAK_AMQP_USER
  valueFrom:
    secretKeyRef: {name: {{ include "firebreak.rabbitmqClusterName" $root }}-default-user, key: username}
- name: FIREBREAK_AMQP_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "firebreak.rabbitmqClusterName" $root }}-default-user, key: password}
- name: AMQP_URL
  value: {{ printf "amqp://$(FIREBREAK_AMQP_USER):$(FIREBREAK_AMQP_PASSWORD)@%s.%s.svc:5672//" (include "firebreak.rabbitmqClusterName" $root) $root.Release.Namespace | quote }}
{{- else }}
- name: AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $values.rabbitmq.existingSecret | default .secret }}
      key: {{ ternary $values.rabbitmq.existingSecretKey "amqp-url" (ne $values.rabbitmq.existingSecret "") }}
{{- end }}
- name: {{ include "firebreak.jwtEnvName" $root }}
  valueFrom:
    secretKeyRef: {name: {{ $values.auth.existingSecret | default .secret }}, key: {{ include "firebreak.jwtSecretKey" $root }}}
- name: FIREBREAK_JWT_ISSUER
  value: {{ $values.auth.issuer | quote }}
- name: FIREBREAK_JWT_AUDIENCE
  value: {{ $values.auth.audience | quote }}
{{- if eq .service "notify" }}
{{- $public := $values.publicUrl }}
{{- if and (not $public) $values.ingress.enabled $values.ingress.hosts }}
{{- $public = printf "%s://%s" (ternary "https" "http" (gt (len $values.ingress.tls) 0)) (first $values.ingress.hosts) }}
{{- end }}
{{- if $public }}
- name: FIREBREAK_PUBLIC_URL
  value: {{ $public | quote }}
{{- end }}
{{- end }}
{{- if and (eq .service "notify") (or $values.smtp.url $values.smtp.existingSecret) }}
- name: FIREBREAK_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $values.smtp.existingSecret | default .secret }}
      key: {{ ternary $values.smtp.existingSecretKey "smtp-url" (ne $values.smtp.existingSecret "") }}
{{- end }}
- name: FIREBREAK_DATA_DIR
  value: /var/lib/firebreak
- name: FIREBREAK_LOG_LEVEL
  value: {{ $values.config.logLevel | quote }}
- name: FIREBREAK_DELIVERY_LIMIT
  value: {{ $values.config.deliveryLimit | quote }}
- name: FIREBREAK_PREFETCH
  value: {{ $values.config.prefetch | quote }}
- name: FIREBREAK_RELAY_BATCH
  value: {{ $values.config.relayBatch | quote }}
- name: FIREBREAK_AMQP_HEARTBEAT
  value: {{ $values.config.amqpHeartbeat | quote }}
- name: FIREBREAK_MAX_BODY_BYTES
  value: {{ $values.config.maxBodyBytes | quote }}
{{- with $values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes every pod has: the read-only root filesystem leaves only these writable. */}}
{{- define "firebreak.volumes" -}}
- name: tmp
  emptyDir: {medium: Memory, sizeLimit: 64Mi}
- name: data
  emptyDir: {sizeLimit: 64Mi}
{{- if .api }}
- name: metrics
  emptyDir: {medium: Memory, sizeLimit: 64Mi}
{{- end }}
{{- end }}

{{- define "firebreak.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/firebreak
{{- if .api }}
- name: metrics
  mountPath: /run/firebreak/metrics
{{- end }}
{{- end }}

{{/* Pod-level settings shared by Deployments and Jobs. */}}
{{- define "firebreak.podSpecCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
