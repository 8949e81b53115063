package yamlpos

// suggest returns the known name closest to key when it is within edit
// distance 2, so that a typo such as "availabilty" gets a "did you mean"
// hint. Very short keys get no hint unless the distance is smaller than the
// key itself, which keeps "ab" from being "corrected" to an unrelated "id".
// Ties go to the name declared first.
func suggest(key string, names []string) (string, bool) {
	best, bestDist := "", 3
	for _, name := range names {
		d := editDistance(key, name)
		if d < bestDist && d < len([]rune(key)) {
			best, bestDist = name, d
		}
	}
	return best, best != ""
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours each cost 1,
// since swapped letters are the commonest typo in hand-written keys.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Keys are short, but a hostile file could hold a huge one; a bound on
	// the length difference avoids quadratic work where the answer is
	// certainly above the threshold anyway.
	if diff := len(ra) - len(rb); diff > 2 || diff < -2 {
		return 3
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
