// Package packaging holds the files Sextant ships with (the systemd unit,
// the Helm chart) and the tests that judge them: systemd-analyze where the
// machine has it, and the chart rendered and parsed here (the subset of
// Helm's template functions the chart uses), so a broken template or a
// missing probe fails the build rather than a rollout.
package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	unit, err := os.ReadFile("systemd/sextant.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=sextant", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=CAP_NET_RAW"} {
		if !bytes.Contains(unit, []byte(want+"\n")) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	// The unit names the installed binary; verify resolves it, so the copy
	// verified points at an executable that exists here.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "sextant.service")
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(unit, []byte("/usr/local/bin/sextant"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// render renders the chart's templates with values, as `helm template`
// does, with the functions the chart uses.
func render(t *testing.T, values map[string]any) map[string]string {
	t.Helper()
	chartDir := "helm/sextant"
	var chart map[string]any
	readYAML(t, filepath.Join(chartDir, "Chart.yaml"), &chart)
	var defaults map[string]any
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &defaults)
	for k, v := range values {
		defaults[k] = v
	}
	root := template.New("chart")
	root.Funcs(template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b strings.Builder
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"nindent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"toYaml": func(v any) (string, error) {
			b, err := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n"), err
		},
		"quote": func(v any) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"default": func(def, v any) any {
			if v == nil || v == "" {
				return def
			}
			return v
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	})
	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.New(filepath.Base(f)).Parse(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	data := map[string]any{
		"Values":  defaults,
		"Release": map[string]any{"Name": "ops"},
		"Chart":   map[string]any{"AppVersion": chart["appVersion"], "Name": chart["name"]},
	}
	out := map[string]string{}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, data); err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
		out[name] = b.String()
	}
	return out
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// manifest is what the tests read of a rendered Kubernetes object.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas     int `yaml:"replicas"`
		MinAvailable int `yaml:"minAvailable"`
		Template     struct {
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				Containers []struct {
					Image string   `yaml:"image"`
					Args  []string `yaml:"args"`
					Env   []struct {
						Name      string         `yaml:"name"`
						Value     string         `yaml:"value"`
						ValueFrom map[string]any `yaml:"valueFrom"`
					} `yaml:"env"`
					LivenessProbe  map[string]any `yaml:"livenessProbe"`
					ReadinessProbe map[string]any `yaml:"readinessProbe"`
				} `yaml:"containers"`
				Volumes []map[string]any `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func parse(t *testing.T, name, text string) manifest {
	t.Helper()
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(false)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s does not parse as YAML: %v\n%s", name, err, text)
	}
	return m
}

func TestHelmChartRenders(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		out := render(t, nil)
		dep := parse(t, "deployment.yaml", out["deployment.yaml"])
		if dep.Kind != "Deployment" || dep.Metadata.Name != "ops-sextant" || dep.Spec.Replicas != 3 {
			t.Fatalf("deployment: %+v", dep)
		}
		c := dep.Spec.Template.Spec.Containers[0]
		if c.Image != "ghcr.io/sextant-ops/sextant:dev" || !dep.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
			t.Fatalf("container: %+v", c)
		}
		if c.LivenessProbe["httpGet"] == nil || c.ReadinessProbe["httpGet"] == nil {
			t.Fatalf("probes: %+v %+v", c.LivenessProbe, c.ReadinessProbe)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
			if e.ValueFrom != nil {
				env[e.Name] = fmt.Sprint(e.ValueFrom)
			}
		}
		if !strings.Contains(env["SEXTANT_DATABASE"], "sextant-db") || !strings.Contains(env["SEXTANT_REPLICA_ID"], "metadata.name") || env["SEXTANT_REPLICA_HEARTBEAT"] != "2s" {
			t.Fatalf("env: %v", env)
		}
		if len(c.Args) != 1 || c.Args[0] != "serve" {
			t.Fatalf("args without a config: %v", c.Args)
		}
		pdb := parse(t, "pdb.yaml", out["pdb.yaml"])
		if pdb.Kind != "PodDisruptionBudget" || pdb.Spec.MinAvailable != 1 {
			t.Fatalf("pdb: %+v", pdb)
		}
		if svc := parse(t, "service.yaml", out["service.yaml"]); svc.Kind != "Service" {
			t.Fatalf("service: %+v", svc)
		}
	})
	t.Run("config, extra env and five replicas", func(t *testing.T) {
		out := render(t, map[string]any{
			"replicaCount": 5,
			"config":       map[string]any{"existingConfigMap": "sextant-config", "key": "sextant.yaml"},
			"env":          []any{map[string]any{"name": "HOOK_SECRET", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "hooks", "key": "secret"}}}},
			"publicURL":    "https://ops.example.com",
		})
		dep := parse(t, "deployment.yaml", out["deployment.yaml"])
		c := dep.Spec.Template.Spec.Containers[0]
		if dep.Spec.Replicas != 5 || strings.Join(c.Args, " ") != "serve --config /etc/sextant/sextant.yaml" {
			t.Fatalf("replicas %d, args %v", dep.Spec.Replicas, c.Args)
		}
		names := ""
		for _, e := range c.Env {
			names += e.Name + " "
		}
		if !strings.Contains(names, "HOOK_SECRET") || !strings.Contains(names, "SEXTANT_PUBLIC_URL") {
			t.Fatalf("env: %s", names)
		}
		if len(dep.Spec.Template.Spec.Volumes) != 2 {
			t.Fatalf("volumes: %v", dep.Spec.Template.Spec.Volumes)
		}
	})
}
