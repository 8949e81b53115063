package knownerror

import (
	"errors"

	"github.com/sextant-ops/sextant/internal/apperr"
)

func containsPath(err error, path string) bool {
	var inv *apperr.Invalid
	if !errors.As(err, &inv) {
		return false
	}
	for _, f := range inv.Fields {
		if f.Path == path {
			return true
		}
	}
	return false
}
