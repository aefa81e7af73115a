//go:build race

package sigv4

// raceEnabled reports whether the race detector is on; the differential
// tests then sweep mutations over fewer requests to stay fast.
const raceEnabled = true
