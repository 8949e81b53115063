package kpi

import "time"

// WorkdayStart is when a person's working day begins, in their zone: the
// capacity planner knows how many hours each weekday has, not when, so a
// day of h hours is taken to run from 09:00 to 09:00 + h.
const WorkdayStart = 9 * time.Hour

// OutsideHours says whether at falls outside a person's working hours:
// week holds their hours per weekday, Monday first, in zone.
func OutsideHours(at time.Time, zone *time.Location, week [7]float64) bool {
	if zone == nil {
		zone = time.UTC
	}
	local := at.In(zone)
	day := (int(local.Weekday()) + 6) % 7 // Monday is 0
	h := week[day]
	if h <= 0 {
		return true
	}
	// Wall-clock 09:00, whatever a daylight-saving change did that night.
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone).Add(WorkdayStart)
	if start.Hour() != int(WorkdayStart/time.Hour) {
		start = time.Date(local.Year(), local.Month(), local.Day(), int(WorkdayStart/time.Hour), 0, 0, 0, zone)
	}
	end := start.Add(time.Duration(h * float64(time.Hour)))
	return local.Before(start) || !local.Before(end)
}
