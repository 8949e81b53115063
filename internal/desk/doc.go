// Package desk is Sextant's service desk: tickets on the service model
// (incidents, requests and problems raised by people), their priority from
// impact and urgency, their conversation, attachments, links and history,
// and their SLA clocks measured in business time on the same calendars as
// the services' availability.
//
// The clocks are pure: Clock.Compute is a function of the opening, the
// pauses, the stops, the target and a given now. The store keeps every
// change as a history row and the pauses as intervals, so figures are
// recomputed from what happened rather than from running counters — a
// change of priority or policy changes the target, never the elapsed time.
package desk
