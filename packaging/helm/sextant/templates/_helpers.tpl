{{- define "sextant.fullname" -}}
{{- printf "%s-sextant" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sextant.labels" -}}
app.kubernetes.io/name: sextant
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
