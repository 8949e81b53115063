// Package availability is the availability engine of Sextant: interval
// arithmetic over half-open intervals, service-hour calendars, maintenance
// windows, periods, state timelines and the report that judges a timeline
// against an objective.
//
// It is pure: no I/O, no clock, no goroutines. Every function is a function
// of its inputs and of a given now, so the API, the UI, the CLI and /metrics
// get the same figures for the same inputs, and tests can pin every case.
// Instants are handled in UTC; wall clocks appear only where calendars and
// recurrence rules need them.
package availability
