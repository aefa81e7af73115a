package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The phases of a fnurl server's fnurl_invocation_overhead_seconds
// histogram: request (head read to the event's write) and response
// (answer read to the response's write).
var ownPhases = [2]string{"request", "response"}

// overhead is what a fnurl server's /metrics says of its own time in warm
// invocations: per phase, the histogram's cumulative bucket counts, sum
// (seconds) and count; ok is false when the server keeps no metrics
// (fnurl serve --metrics off).
type overhead struct {
	phases [2]histogram
	ok     bool
}

type histogram struct {
	le     []float64 // upper bounds, ascending; +Inf last
	cum    []float64 // cumulative counts, as le
	sum, n float64
}

// plus returns o + k·p, phase by phase and bucket by bucket: with k = -1
// the invocations between two scrapes (p the earlier), with k = 1 the sum
// of two repetitions. A phase absent from one side counts as zero.
func (o overhead) plus(p overhead, k float64) overhead {
	for i := range o.phases {
		o.phases[i] = o.phases[i].plus(p.phases[i], k)
	}
	o.ok = o.ok || p.ok
	return o
}

func (h histogram) plus(p histogram, k float64) histogram {
	if len(h.le) == 0 {
		h.le, h.cum = p.le, make([]float64, len(p.le))
	}
	s := histogram{le: h.le, cum: slices.Clone(h.cum), sum: h.sum + k*p.sum, n: h.n + k*p.n}
	for i, le := range h.le {
		if j := slices.Index(p.le, le); j >= 0 {
			s.cum[i] += k * p.cum[j]
		}
	}
	return s
}

// median estimates the median in µs by linear interpolation within its
// bucket, as Prometheus's histogram_quantile does; ok is false without
// observations or when the median falls in the +Inf bucket.
func (h histogram) median() (float64, bool) {
	if h.n <= 0 {
		return 0, false
	}
	rank := h.n / 2
	lo, below := 0.0, 0.0
	for i, le := range h.le {
		if h.cum[i] >= rank {
			if math.IsInf(le, 1) {
				return 0, false
			}
			in := h.cum[i] - below
			if in <= 0 {
				return le * 1e6, true
			}
			return (lo + (le-lo)*(rank-below)/in) * 1e6, true
		}
		lo, below = le, h.cum[i]
	}
	return 0, false
}

var scrapeClient = &http.Client{Timeout: 10 * time.Second}

// scrapeOverhead reads the overhead histogram from the server at endpoint.
func scrapeOverhead(endpoint string) (overhead, error) {
	resp, err := scrapeClient.Get(endpoint + "/metrics")
	if err != nil {
		return overhead{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return overhead{}, nil // metrics off: /metrics is an unsigned AWS request then
	}
	if resp.StatusCode != http.StatusOK {
		return overhead{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseOverhead(resp.Body)
}

// parseOverhead reads the overhead histogram from the text exposition
// format; a phase is empty until the server has observed it.
func parseOverhead(r io.Reader) (overhead, error) {
	const name = "fnurl_invocation_overhead_seconds"
	o := overhead{ok: true}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+"_")
		if !ok {
			continue
		}
		series, value, ok := strings.Cut(rest, " ")
		if !ok {
			return overhead{}, fmt.Errorf("metrics: %q: no value", line)
		}
		kind, labels, ok := strings.Cut(series, "{")
		if !ok || !strings.HasSuffix(labels, "}") {
			continue
		}
		phase := -1
		var le string
		for _, l := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
			k, v, _ := strings.Cut(l, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "phase":
				phase = slices.Index(ownPhases[:], v)
			case "le":
				le = v
			}
		}
		if phase < 0 {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return overhead{}, fmt.Errorf("metrics: %q: %w", line, err)
		}
		h := &o.phases[phase]
		switch kind {
		case "sum":
			h.sum = v
		case "count":
			h.n = v
		case "bucket":
			bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
			if err != nil {
				return overhead{}, fmt.Errorf("metrics: %q: le: %w", line, err)
			}
			if len(h.le) > 0 && bound <= h.le[len(h.le)-1] {
				return overhead{}, fmt.Errorf("metrics: %q: buckets out of order", line)
			}
			h.le, h.cum = append(h.le, bound), append(h.cum, v)
		}
	}
	return o, sc.Err()
}
