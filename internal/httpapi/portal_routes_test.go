package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/httpapi"
	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// portalHarness is the API with a request catalog (a laptop, approved by
// the operator token's role) and requesters rita and rob of acme and sam
// of globex, signed in.
func portalHarness(t *testing.T, db *store.DB) *harness {
	h := newHarness(t, db)
	ctx := context.Background()
	h.mustDo(auth.Operator, "POST", "/api/v1/services", `{"name":"workplace","tier":3}`, 201)
	for _, r := range []struct{ name, org string }{{"rita", "acme"}, {"rob", "acme"}, {"sam", "globex"}} {
		h.signIn(ctx, auth.Requester, r.name, r.org)
	}
	h.signIn(ctx, auth.Operator, "mara", "")
	cfg, problems := portal.Compile([]portal.Item{{Name: "laptop", Title: "New laptop", Service: "workplace", Fields: []portal.Field{
		{Name: "model", Label: "Model", Type: portal.FieldChoice, Required: true, Choices: []string{"standard", "developer"}},
		{Name: "memory", Label: "Memory", Type: portal.FieldNumber, Min: "8", Max: "64"},
		{Name: "extras", Label: "Extras", Type: portal.FieldMultiChoice, Choices: []string{"dock", "bag"}},
	}, Approval: &portal.ApprovalRule{People: []string{"mara"}}}}, portal.Settings{}, portal.Refs{Services: map[string]bool{"workplace": true}})
	if problems != nil {
		t.Fatal(problems)
	}
	h.portal.Configure(cfg)
	return h
}

func TestRequestCatalogAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := portalHarness(t, db)
		var items []httpapi.CatalogItem
		if err := json.Unmarshal(h.mustDo("rita", "GET", "/api/v1/request-catalog", "", 200), &items); err != nil || len(items) != 1 ||
			items[0].Path != "/api/v1/request-catalog/laptop/requests" || len(items[0].Fields) != 3 {
			t.Fatalf("catalog %+v %v", items, err)
		}
		// Every problem is named, in one RFC 9457 answer.
		b := h.mustDo("rita", "POST", "/api/v1/request-catalog/laptop/requests", `{"fields":{"memory":128,"extras":["dock","case"],"colour":"red"}}`, 400)
		var p httpapi.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range p.Errors {
			got[f.Pointer] = f.Detail
		}
		for ptr, part := range map[string]string{"/fields/model": "Model is required", "/fields/memory": "at most 64, not 128",
			"/fields/extras": `"case" is not one of the choices`, "/fields/colour": "is not a field"} {
			if !strings.Contains(got[ptr], part) {
				t.Errorf("%s: %q, want %q (all: %s)", ptr, got[ptr], part, b)
			}
		}
		h.mustDo("rita", "POST", "/api/v1/request-catalog/phone/requests", `{"fields":{}}`, 404)
		tk := ticketOf(t, h.mustDo("rita", "POST", "/api/v1/request-catalog/laptop/requests", `{"fields":{"model":"developer","memory":"32","extras":["dock"]}}`, 201))
		if tk.Status != desk.StatusWaiting || tk.WaitingOn != desk.WaitApproval || tk.Requester != "rita" {
			t.Fatalf("request %+v", tk)
		}
		path := fmt.Sprintf("/api/v1/tickets/%d/approvals", tk.ID)
		h.mustDo(auth.Viewer, "POST", path, `{"decision":"approve"}`, 404) // not an approver
		h.mustDo("mara", "POST", path, `{"decision":"maybe"}`, 400)
		got2 := ticketOf(t, h.mustDo("mara", "POST", path, `{"decision":"approve"}`, 200))
		if got2.Status != desk.StatusOpen {
			t.Fatalf("approved %+v", got2)
		}
		var v portal.View
		if err := json.Unmarshal(h.mustDo("rita", "GET", fmt.Sprintf("/api/v1/portal/tickets/%d", tk.ID), "", 200), &v); err != nil {
			t.Fatal(err)
		}
		if v.Fields["memory"] != 32.0 || v.Approval != portal.ApprovalApproved || len(v.Approvals) != 1 {
			t.Fatalf("view %+v", v)
		}
	})
}

// TestRequestersCannotReachOthersTickets walks every portal ticket route
// as two requesters: sam (globex) and rob (acme, the ticket not shared)
// get 404 on rita's ticket for reading, replying, attaching, reopening and
// downloading, and never see it in their lists; the agents' ticket routes
// refuse all three with 403.
func TestRequestersCannotReachOthersTickets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h := portalHarness(t, db)
		tk := ticketOf(t, h.mustDo("rita", "POST", "/api/v1/portal/tickets", `{"title":"Printer on fire","service":"workplace"}`, 201))
		id := fmt.Sprint(tk.ID)
		b := h.mustDo("rita", "POST", "/api/v1/portal/tickets/"+id+"/attachments?filename=photo.txt", "smoke", 201)
		var att desk.Attachment
		_ = json.Unmarshal(b, &att)
		h.mustDo(auth.Operator, "POST", "/api/v1/tickets/"+id+"/comments", `{"body":"internal: it is the toner","public":false}`, 201)
		h.mustDo(auth.Operator, "POST", "/api/v1/tickets/"+id+"/status", `{"status":"resolved","note":"Replaced."}`, 200)
		base := "/api/v1/portal/tickets/" + id
		routes := []struct{ method, path, body string }{
			{"GET", base, ""},
			{"POST", base + "/comments", `{"body":"me too"}`},
			{"POST", base + "/attachments?filename=x.txt", "data"},
			{"GET", base + "/attachments/" + fmt.Sprint(att.ID), ""},
			{"POST", base + "/reopen", `{"reason":"still burning"}`},
		}
		for _, who := range []auth.Role{"sam", "rob"} {
			for _, rt := range routes {
				h.mustDo(who, rt.method, rt.path, rt.body, 404)
			}
			var l httpapi.List[desk.Ticket]
			_ = json.Unmarshal(h.mustDo(who, "GET", "/api/v1/portal/tickets", "", 200), &l)
			if len(l.Items) != 0 {
				t.Errorf("%s lists %+v", who, l.Items)
			}
		}
		for _, who := range []auth.Role{"rita", "sam"} {
			for _, p := range []string{"/api/v1/tickets/" + id, "/api/v1/tickets/" + id + "/attachments/" + fmt.Sprint(att.ID), "/api/v1/tickets"} {
				h.mustDo(who, "GET", p, "", 403)
			}
		}
		// Rita reads her ticket without the internal note, and reopens it.
		b = h.mustDo("rita", "GET", base, "", 200)
		if strings.Contains(string(b), "toner") || !strings.Contains(string(b), "Replaced.") {
			t.Fatalf("rita reads %s", b)
		}
		h.mustDo("rita", "POST", base+"/reopen", `{"reason":""}`, 400)
		if got := ticketOf(t, h.mustDo("rita", "POST", base+"/reopen", `{"reason":"still burning"}`, 200)); got.Status != desk.StatusOpen {
			t.Fatalf("reopened %+v", got)
		}
	})
}
