// Package metrics keeps fnurl's counters and histograms and writes them in
// the Prometheus text exposition format (version 0.0.4). It is small on
// purpose: labelled counters, gauges computed at scrape time and
// fixed-bucket histograms are all fnurl needs.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metric families.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	write(w io.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	r.families = append(r.families, f)
	r.mu.Unlock()
}

// WriteText writes every family in the text exposition format.
func (r *Registry) WriteText(w io.Writer) {
	r.mu.Lock()
	fs := append([]family(nil), r.families...)
	r.mu.Unlock()
	for _, f := range fs {
		f.write(w)
	}
}

// labelEscaper escapes a label value as the text format requires. Made
// once: a Replacer builds its tables on first use, which cost about 6 KB per
// label written when it was made per call.
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escape(v string) string { return labelEscaper.Replace(v) }

func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, n, escape(values[i]))
	}
	b.WriteByte('}')
	return b.String()
}

// CounterVec is a counter with labels.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]*counterValue
}

type counterValue struct {
	labels []string
	n      float64
}

// NewCounterVec registers a counter family.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: labels, values: map[string]*counterValue{}}
	r.add(c)
	return c
}

// Add adds delta to the counter with the label values.
func (c *CounterVec) Add(delta float64, values ...string) {
	key := strings.Join(values, "\xff")
	c.mu.Lock()
	v, ok := c.values[key]
	if !ok {
		v = &counterValue{labels: append([]string(nil), values...)}
		c.values[key] = v
	}
	v.n += delta
	c.mu.Unlock()
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Value returns the counter's value, for tests.
func (c *CounterVec) Value(values ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[strings.Join(values, "\xff")]; ok {
		return v.n
	}
	return 0
}

func (c *CounterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.Lock()
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.values[k]
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelString(c.labels, v.labels), formatFloat(v.n))
	}
	c.mu.Unlock()
}

// GaugeFunc is a gauge (or a counter kept elsewhere) computed when
// scraped.
type GaugeFunc struct {
	name, help, typ string
	labels          []string
	f               func() map[string]float64 // label value (joined by \xff) -> value
}

// NewGaugeFunc registers a gauge whose values f computes at scrape time;
// f's keys are the label values joined by "\xff".
func (r *Registry) NewGaugeFunc(name, help string, f func() map[string]float64, labels ...string) {
	r.add(&GaugeFunc{name: name, help: help, typ: "gauge", labels: labels, f: f})
}

// NewCounterFunc registers a counter that another package counts, whose
// values f reads at scrape time, keyed as NewGaugeFunc's.
func (r *Registry) NewCounterFunc(name, help string, f func() map[string]float64, labels ...string) {
	r.add(&GaugeFunc{name: name, help: help, typ: "counter", labels: labels, f: f})
}

func (g *GaugeFunc) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", g.name, g.help, g.name, g.typ)
	vals := g.f()
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var lv []string
		if len(g.labels) > 0 {
			lv = strings.Split(k, "\xff")
		}
		fmt.Fprintf(w, "%s%s %s\n", g.name, labelString(g.labels, lv), formatFloat(vals[k]))
	}
}

// HistogramVec is a histogram with labels and fixed buckets.
type HistogramVec struct {
	name, help string
	labels     []string
	buckets    []float64
	mu         sync.Mutex
	values     map[string]*histValue
}

type histValue struct {
	labels []string
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

// DefaultBuckets suit request and invocation latencies, in seconds.
var DefaultBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}

// NewHistogramVec registers a histogram family.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{name: name, help: help, labels: labels, buckets: buckets, values: map[string]*histValue{}}
	r.add(h)
	return h
}

// Observe records one value.
func (h *HistogramVec) Observe(v float64, values ...string) {
	key := strings.Join(values, "\xff")
	i := sort.SearchFloat64s(h.buckets, v)
	h.mu.Lock()
	hv, ok := h.values[key]
	if !ok {
		hv = &histValue{labels: append([]string(nil), values...), counts: make([]uint64, len(h.buckets)+1)}
		h.values[key] = hv
	}
	hv.counts[i]++
	hv.sum += v
	hv.n++
	h.mu.Unlock()
}

func (h *HistogramVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.values))
	for k := range h.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		hv := h.values[k]
		var cum uint64
		names := append(append([]string(nil), h.labels...), "le")
		for i, b := range h.buckets {
			cum += hv.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(names, append(append([]string(nil), hv.labels...), formatFloat(b))), cum)
		}
		cum += hv.counts[len(h.buckets)]
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(names, append(append([]string(nil), hv.labels...), "+Inf")), cum)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelString(h.labels, hv.labels), formatFloat(hv.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelString(h.labels, hv.labels), hv.n)
	}
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
