package tracker

import "strings"

// EditDistance is the optimal string alignment distance between a and b:
// how many bytes must be inserted, deleted or replaced, or adjacent pairs
// swapped, to turn one into the other; or limit+1 as soon as it is known to
// be more than limit. It takes O(len(a) × len(b)) time at most, and stops
// at once when the lengths differ by more than limit.
func EditDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}

// nearLabel reports whether text, a heading someone wrote, looks like the
// form's label: the same words in another case, or a few letters off
// ("Objectives" for "Objective"): at most one edit in six letters.
func nearLabel(text, label string) bool {
	t := strings.ToLower(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(text), ":#")))
	l := strings.ToLower(label)
	if t == l {
		return true
	}
	limit := max(1, len(l)/6)
	return EditDistance(t, l, limit) <= limit
}
