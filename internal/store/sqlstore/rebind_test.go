package sqlstore

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	pg := &Dialect{Numbered: true}
	lite := &Dialect{}
	tests := []struct {
		in, want string
	}{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ?", "SELECT a FROM t WHERE b = $1"},
		{"INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES ($1, $2, $3)"},
		{"?????????????", "$1$2$3$4$5$6$7$8$9$10$11$12$13"},
		{"?0", "$1 0"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := pg.Rebind(tc.in); got != tc.want {
				t.Errorf("Rebind = %q, want %q", got, tc.want)
			}
			if got := pg.Rebind(tc.in); got != tc.want { // from the cache
				t.Errorf("cached Rebind = %q, want %q", got, tc.want)
			}
			if got := lite.Rebind(tc.in); got != tc.in {
				t.Errorf("SQLite Rebind = %q, want it unchanged", got)
			}
		})
	}
}

var placeholderRE = regexp.MustCompile(`\$[0-9]+`)

func FuzzRebind(f *testing.F) {
	f.Add("SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?")
	f.Add("?")
	f.Add("$1 ? $2")
	d := &Dialect{Numbered: true}
	f.Fuzz(func(t *testing.T, q string) {
		out := d.Rebind(q)
		if strings.Contains(out, "?") {
			t.Fatalf("Rebind(%q) = %q still has ?", q, out)
		}
		// Replacing each ? of the input with a marker and each placeholder of
		// the output with the same marker gives the same text when the input
		// had no $ of its own, and the placeholders are numbered in order.
		if !strings.Contains(q, "$") {
			// A placeholder followed by a digit gets a space after it.
			var want strings.Builder
			for i := 0; i < len(q); i++ {
				if q[i] != '?' {
					want.WriteByte(q[i])
					continue
				}
				want.WriteByte(0)
				if i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
					want.WriteByte(' ')
				}
			}
			if a, b := want.String(), placeholderRE.ReplaceAllString(out, "\x00"); a != b {
				t.Fatalf("Rebind(%q) = %q", q, out)
			}
			for i, p := range placeholderRE.FindAllString(out, -1) {
				if p != "$"+strconv.Itoa(i+1) {
					t.Fatalf("Rebind(%q) = %q: placeholder %d is %s", q, out, i+1, p)
				}
			}
		}
	})
}
