package change

import (
	"fmt"
	"net/url"
	"time"

	"github.com/sextant-ops/sextant/internal/signed"
)

// DecisionPurpose is what an approval link allows: deciding one change as
// one approver.
const DecisionPurpose = "change-decision"

// decisionSubject is what an approval link signs: the change and the
// approver, so a link forwarded to someone else still decides only as the
// approver it was sent to.
func decisionSubject(id int64, approver string) string {
	return fmt.Sprintf("change:%d:%s", id, approver)
}

// DecisionQuery is the query string of approver's link to decide change id
// ("approver=…&exp=…&sig=…"), valid for lifetime from now.
func DecisionQuery(s *signed.Signer, id int64, approver string, now time.Time, lifetime time.Duration) string {
	return "approver=" + url.QueryEscape(approver) + "&" + s.Query(decisionSubject(id, approver), DecisionPurpose, now, lifetime)
}

// CheckDecision verifies an approval link's query for change id at now and
// returns the approver it was made for.
func CheckDecision(s *signed.Signer, q url.Values, id int64, now time.Time) (string, error) {
	approver := q.Get("approver")
	if approver == "" {
		return "", signed.ErrInvalid
	}
	if err := s.Check(q, decisionSubject(id, approver), DecisionPurpose, now); err != nil {
		return "", err
	}
	return approver, nil
}
