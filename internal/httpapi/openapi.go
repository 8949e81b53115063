package httpapi

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// OpenAPI builds the OpenAPI 3.1 document from the route table. Body schemas
// come from the Go types the handlers decode and encode, by reflection, so a
// field added to a type appears in the document with no second edit.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range a.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		if rt.Description != "" {
			op["description"] = rt.Description
		}
		var params []any
		for _, p := range rt.Query {
			typ := p.Type
			if typ == "" {
				typ = "string"
			}
			params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.In == "path",
				"description": p.Description, "schema": map[string]any{"type": typ}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		if rt.RawRequest != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				rt.RawRequest: map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		if rt.RawResponse != "" {
			ok["content"] = map[string]any{rt.RawResponse: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		responses[itoa(rt.Status)] = ok
		problem := map[string]any{"$ref": "#/components/responses/Problem"}
		responses["4XX"] = problem
		responses["5XX"] = problem
		op["responses"] = responses
		if rt.Role != "" {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
			op["x-sextant-role"] = string(rt.Role)
		} else if rt.KeyAuth {
			op["security"] = []any{map[string]any{"integrationKey": []string{}}}
		} else {
			op["security"] = []any{}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	problemSchema := g.schema(reflect.TypeOf(Problem{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Sextant API",
			"version":     a.deps.Version,
			"description": "Sextant's REST API. Lists answer {items, next}; pass next back as cursor for the following page. Errors are RFC 9457 problem details.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"responses": map[string]any{"Problem": map[string]any{
				"description": "RFC 9457 problem details",
				"content":     map[string]any{"application/problem+json": map[string]any{"schema": problemSchema}},
			}},
			"securitySchemes": map[string]any{
				"bearer":         map[string]any{"type": "http", "scheme": "bearer", "description": "an API token from `sextant token create` or POST /api/v1/tokens"},
				"session":        map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie, "description": "a UI session; unsafe methods need the X-CSRF-Token header"},
				"integrationKey": map[string]any{"type": "http", "scheme": "bearer", "description": "an integration's key: the routing_key in a PagerDuty-format body, or a bearer token from Alertmanager"},
			},
		},
	}
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a.OpenAPI())
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func operationID(rt Route) string {
	parts := nonWord.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), -1)
	id := strings.ToLower(rt.Method)
	for _, p := range parts {
		if p != "" {
			id += strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return id
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// schemaGen turns Go types into JSON Schema (2020-12, as OpenAPI 3.1 uses).
type schemaGen struct {
	defs map[string]any
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	rawJSONType = reflect.TypeOf(json.RawMessage{})
	marshalerT  = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textT       = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{}
	case t.Kind() != reflect.Struct && t.Implements(marshalerT):
		// Scalars that marshal themselves take a number or a string.
		return map[string]any{"type": []string{"string", "number"}}
	case t.Implements(textT) && !t.Implements(marshalerT):
		// A value that writes itself as text is a string in JSON, struct
		// or not (a calendar date, say).
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func defName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		// List[github.com/…/catalog.StoredService] → ListStoredService
		inner := name[i+1 : len(name)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		name = name[:i] + inner
	}
	pkg := t.PkgPath()
	if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
		pkg = pkg[j+1:]
	}
	if pkg == "httpapi" || pkg == "" {
		return name
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + name
}
