// Package oncall is the on-call schedule engine: it answers "who is on call
// at t", lays out the final schedule over a span of time and writes it as an
// iCalendar feed.
//
// A schedule is a stack of layers, each a rotation of members handing over
// at a wall-clock time in the schedule's zone, optionally restricted to
// weekly windows, with overrides on top. A later layer, where it has
// someone, hides the layers before it, and an override hides every layer
// for its span (the PagerDuty model, which most operations teams already
// know).
//
// The package is a pure core: Compile turns the configuration into an
// immutable value, and every question takes the instants it is about as
// arguments. There is no clock, no database and no goroutine inside, so one
// Compiled value can be shared by the API, the UI and the escalation
// stepper and read from any goroutine.
package oncall
