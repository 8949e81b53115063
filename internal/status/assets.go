package status

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

//go:embed static/status.css
var cssFile []byte

//go:embed templates
var templateFS embed.FS

// asset is the embedded style sheet, served under a URL that carries a hash
// of its content so that browsers may keep it for good.
type asset struct {
	url  string
	body []byte
}

func loadCSS() (asset, error) {
	if len(cssFile) == 0 {
		return asset{}, fmt.Errorf("status: the style sheet is empty")
	}
	sum := sha256.Sum256(cssFile)
	return asset{url: "/status/status." + hex.EncodeToString(sum[:])[:10] + ".css", body: cssFile}, nil
}

func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func parseTemplates() (*template.Template, error) {
	funcs := template.FuncMap{
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"readable": func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC") },
		"span":     span,
		"scores":   func() []int { return []int{1, 2, 3, 4, 5} },
	}
	t, err := template.New("status").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("status: templates: %w", err)
	}
	return t, nil
}
