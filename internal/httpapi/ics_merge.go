package httpapi

import (
	"bytes"
)

// mergeICS joins the VEVENTs of several VCALENDAR documents into one, so a
// person's feed shows their shifts from every schedule.
func mergeICS(name string, parts [][]byte) []byte {
	var events [][]byte
	for _, p := range parts {
		for {
			i := bytes.Index(p, []byte("BEGIN:VEVENT"))
			if i < 0 {
				break
			}
			j := bytes.Index(p[i:], []byte("END:VEVENT"))
			if j < 0 {
				break
			}
			end := i + j + len("END:VEVENT")
			events = append(events, p[i:end])
			p = p[end:]
		}
	}
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sextant//On-call//EN\r\nCALSCALE:GREGORIAN\r\nX-WR-CALNAME:On call: " + name + "\r\n")
	for _, e := range events {
		b.Write(e)
		b.WriteString("\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes()
}
