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
// (seconds) and count.
type overhead [2]histogram

type histogram struct {
	le     []float64 // upper bounds, ascending; +Inf last
	cum    []float64 // cumulative counts, as le
	sum, n float64
}

// sub returns o - p: the invocations between two scrapes. A phase absent
// from p (not yet observed then) counts from zero.
func (o overhead) sub(p overhead) overhead {
	var d overhead
	for i := range o {
		d[i] = o[i].sub(p[i])
	}
	return d
}

func (h histogram) sub(p histogram) histogram {
	d := histogram{le: h.le, cum: slices.Clone(h.cum), sum: h.sum - p.sum, n: h.n - p.n}
	for i, le := range h.le {
		if j := slices.Index(p.le, le); j >= 0 {
			d.cum[i] -= p.cum[j]
		}
	}
	return d
}

// add returns o + p, for summing repetitions.
func (o overhead) add(p overhead) overhead {
	var s overhead
	for i := range o {
		s[i] = o[i].add(p[i])
	}
	return s
}

func (h histogram) add(p histogram) histogram {
	if len(h.le) == 0 {
		return histogram{le: p.le, cum: slices.Clone(p.cum), sum: p.sum, n: p.n}
	}
	s := histogram{le: h.le, cum: slices.Clone(h.cum), sum: h.sum + p.sum, n: h.n + p.n}
	for i, le := range h.le {
		if j := slices.Index(p.le, le); j >= 0 {
			s.cum[i] += p.cum[j]
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
	if resp.StatusCode != http.StatusOK {
		return overhead{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseOverhead(resp.Body)
}

// parseOverhead reads the overhead histogram from the text exposition
// format; a phase is empty until the server has observed it.
func parseOverhead(r io.Reader) (overhead, error) {
	const name = "fnurl_invocation_overhead_seconds"
	var o overhead
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
		h := &o[phase]
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
