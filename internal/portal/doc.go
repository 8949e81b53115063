// Package portal is the requester's side of the service desk: requesters
// (employees, customers) open tickets on services and follow them, reply,
// attach files and reopen within a time; the request catalog turns a
// configured form into a ticket of type request, its fields validated and
// stored on it, with approvals before fulfilment; a small knowledge base
// of Markdown articles, published per service, is searched with the known
// errors' workarounds before a ticket is opened.
//
// The rules are pure functions of their inputs and a given now
// (catalog.go: the catalog's config and its fields' validation;
// approval.go: the quorum; visible.go: who may see a ticket; reopen): the
// Store around them reads and writes through desk.Store, so a portal
// ticket is an ordinary ticket with the same SLA clocks and history.
package portal
