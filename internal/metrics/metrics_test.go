package metrics

import (
	"strconv"
	"strings"
	"testing"
)

// TestWriteText checks the exposition of each kind of family: its HELP and
// TYPE lines and its samples, with labels.
func TestWriteText(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounterVec("test_requests_total", "Requests.", "code")
	c.Inc("200")
	c.Inc("200")
	c.Inc("a\\b\n\"c\"")
	r.NewGaugeFunc("test_open", "Open things.", func() map[string]float64 { return map[string]float64{"": 3} })
	r.NewCounterFunc("test_handoffs_total", "Handoffs by reason.", func() map[string]float64 {
		return map[string]float64{"tls": 1, "request": 0}
	}, "reason")
	var b strings.Builder
	r.WriteText(&b)
	for _, want := range []string{
		"# TYPE test_requests_total counter\ntest_requests_total{code=\"200\"} 2\n",
		`test_requests_total{code="a\\b\n\"c\""} 1` + "\n",
		"# HELP test_open Open things.\n# TYPE test_open gauge\ntest_open 3\n",
		"# HELP test_handoffs_total Handoffs by reason.\n# TYPE test_handoffs_total counter\n" +
			"test_handoffs_total{reason=\"request\"} 0\ntest_handoffs_total{reason=\"tls\"} 1\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("exposition lacks\n%s\nin\n%s", want, b.String())
		}
	}
}

// BenchmarkWriteText measures a scrape of a registry of four labelled
// counters of 50 series each.
func BenchmarkWriteText(b *testing.B) {
	r := NewRegistry()
	for i := range 4 {
		c := r.NewCounterVec("bench_"+strconv.Itoa(i)+"_total", "Requests.", "code", "error")
		for j := range 50 {
			c.Inc(strconv.Itoa(200+j), "SomeErrorCode")
		}
	}
	var sb strings.Builder
	b.ReportAllocs()
	for b.Loop() {
		sb.Reset()
		r.WriteText(&sb)
	}
}
