package httpapi

import "net/http"

// The steps most handlers share — find what the route acts on, decode the
// body, act, answer — written once. A handler names its finder (the store
// and the {id} the path names, say) and the one step of its own:
//
//	Handle: readStep(a.postmortemTarget, func(r *http.Request, t idTarget[*postmortem.Store]) (postmortem.Postmortem, error) {
//		return t.Store.Get(r.Context(), t.ID)
//	})
//
// Problems from any step (a missing store, a bad path parameter, a body
// that does not decode, what the store refuses) are returned as they are,
// for the route wrapper to answer as problem details.

// handlerFunc is the shape of a Route's Handle.
type handlerFunc = func(w http.ResponseWriter, r *http.Request) error

// idTarget is a store and the positive integer {id} a route's path names.
type idTarget[S any] struct {
	Store S
	ID    int64
}

// byID finds a store (or a 404 on a server built without it) and the path's {id}.
func byID[S any](store func() (S, error)) func(*http.Request) (idTarget[S], error) {
	return func(r *http.Request) (idTarget[S], error) {
		s, err := store()
		if err != nil {
			return idTarget[S]{}, err
		}
		id, err := pathID(r, "id")
		return idTarget[S]{Store: s, ID: id}, err
	}
}

// whole finds a store for a route that names nothing in it (a list, a create).
func whole[S any](store func() (S, error)) func(*http.Request) (S, error) {
	return func(*http.Request) (S, error) { return store() }
}

// readStep answers 200 with what fn reads of the route's target.
func readStep[T, Out any](find func(*http.Request) (T, error), fn func(r *http.Request, t T) (Out, error)) handlerFunc {
	return actStep(find, http.StatusOK, nil, fn)
}

// writeStep decodes the body into In, gives it to fn with the route's
// target and answers status with what fn returns. When location is set,
// the answer carries the Location of what was made.
func writeStep[T, In, Out any](find func(*http.Request) (T, error), status int, location func(Out) string, fn func(r *http.Request, t T, in In) (Out, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := find(r)
		if err != nil {
			return err
		}
		var in In
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		out, err := fn(r, t, in)
		if err != nil {
			return err
		}
		answer(w, status, location, out)
		return nil
	}
}

// actStep runs fn, which takes no body, on the route's target and answers
// status with what it returns (an action such as "refresh", or a create
// whose input is all in the path).
func actStep[T, Out any](find func(*http.Request) (T, error), status int, location func(Out) string, fn func(r *http.Request, t T) (Out, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := find(r)
		if err != nil {
			return err
		}
		out, err := fn(r, t)
		if err != nil {
			return err
		}
		answer(w, status, location, out)
		return nil
	}
}

// deleteStep runs fn on the route's target and answers 204.
func deleteStep[T any](find func(*http.Request) (T, error), fn func(r *http.Request, t T) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := find(r)
		if err != nil {
			return err
		}
		if err := fn(r, t); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// answer sends out with status, and the Location of what was made when
// location is set.
func answer[Out any](w http.ResponseWriter, status int, location func(Out) string, out Out) {
	if location != nil {
		w.Header().Set("Location", location(out))
	}
	writeJSON(w, status, out)
}
