package tracker

import (
	"strings"
	"testing"
)

func TestResolveSHA(t *testing.T) {
	head := "1234567" + strings.Repeat("b", 33)
	old := "1234567" + strings.Repeat("a", 33)
	other := "89abcde" + strings.Repeat("c", 33)
	tests := []struct {
		arg   string
		known []string
		want  string
		why   string
	}{
		{"1234567", []string{head}, head, ""},
		{"89ABCDE", []string{head, other}, other, ""},
		{other, []string{head}, other, ""}, // a full SHA is taken as it is
		// A head made to share the prefix of an older signed commit is
		// ambiguous: the head gets no precedence.
		{"1234567", []string{head, old}, "", "ambiguous"},
		{"1234567b", []string{head, old}, head, ""},
		{"fedcba9", []string{head}, "", "no commit twokey knew of when this was posted starts with fedcba9"},
		{"12345", []string{head}, "", "not a commit SHA"},
		{"xyz1234", []string{head}, "", "not a commit SHA"},
	}
	for _, tt := range tests {
		got, why := resolveSHA(tt.arg, head, tt.known)
		if got != tt.want || (tt.why == "") != (why == "") || !strings.Contains(why, tt.why) {
			t.Errorf("resolveSHA(%q, known %d) = %q, %q; want %q, %q", tt.arg, len(tt.known), got, why, tt.want, tt.why)
		}
	}
}
