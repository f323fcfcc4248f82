{{/* Resource name prefix: the release name, plus the chart name unless already in it. */}}
{{- define "trendstream.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trendstream.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trendstream
{{- end -}}

{{- define "trendstream.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "trendstream.sparkServiceAccount" -}}
{{- .Values.serviceAccounts.spark.name | default (printf "%s-spark" (include "trendstream.fullname" .)) -}}
{{- end -}}

{{- define "trendstream.airflowServiceAccount" -}}
{{- .Values.serviceAccounts.airflowWorker.name | default (printf "%s-airflow-worker" (include "trendstream.fullname" .)) -}}
{{- end -}}

{{- define "trendstream.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secret" (include "trendstream.fullname" .)) -}}
{{- end -}}

{{- define "trendstream.claimName" -}}
{{- .Values.state.existingClaim | default (printf "%s-state" (include "trendstream.fullname" .)) -}}
{{- end -}}

{{/*
The settings every pod sees: .Values.settings plus the names this release decides
(namespace, image, resource names). Rendered as YAML; use with fromYaml.
*/}}
{{- define "trendstream.settings" -}}
{{- $fullname := include "trendstream.fullname" . -}}
{{- $computed := dict
  "namespace" .Release.Namespace
  "image" (include "trendstream.image" .)
  "image_pull_policy" .Values.image.pullPolicy
  "app_name" (printf "%s-stream" $fullname)
  "service_account" (include "trendstream.sparkServiceAccount" .)
  "config_map" (printf "%s-config" $fullname)
  "secret" (include "trendstream.secretName" .)
  "state_claim" (include "trendstream.claimName" .) -}}
{{- $settings := deepCopy .Values.settings -}}
{{- $kubernetes := mustMergeOverwrite (deepCopy (default dict $settings.kubernetes)) $computed -}}
{{- $_ := set $settings "kubernetes" $kubernetes -}}
{{- toYaml $settings -}}
{{- end -}}

{{/* One env var value: strings as-is, everything else (numbers, bools, maps, lists) as JSON. */}}
{{- define "trendstream.envValue" -}}
{{- if kindIs "string" . -}}{{ toJson . }}{{- else -}}{{ toJson . | toJson }}{{- end -}}
{{- end -}}

{{/* A settings tree flattened to TRENDSTREAM_* variables, the way Settings.env() does. */}}
{{- define "trendstream.envVars" -}}
{{- range $key, $value := . }}
{{- if kindIs "map" $value }}
{{- range $sub, $v := $value }}
{{ printf "TRENDSTREAM_%s__%s" (upper $key) (upper $sub) }}: {{ include "trendstream.envValue" $v }}
{{- end }}
{{- else }}
{{ printf "TRENDSTREAM_%s" (upper $key) }}: {{ include "trendstream.envValue" $value }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Labels of the stream's pods (must match trendstream.orchestration.spark_application.component_labels). */}}
{{- define "trendstream.streamPodLabels" -}}
app.kubernetes.io/name: trendstream
app.kubernetes.io/instance: {{ .appName }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: trendstream
{{- end -}}
