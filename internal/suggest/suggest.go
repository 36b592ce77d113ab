// Package suggest finds the known name nearest to a mistyped one, for
// "did you mean" in error messages.
package suggest

import "strings"

// Nearest returns the candidate closest to s by edit distance, compared
// case-insensitively, when it is close enough to be a typo of s: at most a
// third of s's length apart, and at most 3 edits. ok is false otherwise.
func Nearest(s string, candidates []string) (best string, ok bool) {
	ls := strings.ToLower(s)
	limit := min(3, len([]rune(ls))/3)
	bestDist := limit + 1
	for _, c := range candidates {
		if d := distance(ls, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist <= limit
}

// distance is the Levenshtein distance between a and b, counting an
// adjacent transposition ("Decrpyt") as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
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
