package sandbox

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestAddressSpaceLimit checks the fallback RLIMIT_AS against real
// interpreters: each must still start under its limit for 128 MB.
func TestAddressSpaceLimit(t *testing.T) {
	for _, tc := range []struct{ kind, prog string }{
		{kindPython, "python3"},
		{kindProvided, os.Args[0]},
	} {
		lim := addressSpaceLimit(tc.kind, 128)
		if lim == 0 {
			t.Fatalf("%s: no limit", tc.kind)
		}
		if tc.kind == kindProvided && raceEnabled {
			continue // the race detector's shadow memory needs terabytes of address space
		}
		p, err := exec.LookPath(tc.prog)
		if err != nil {
			t.Logf("%s: %v", tc.prog, err)
			continue
		}
		args := []string{"-c", "ulimit -v " + strconv.FormatUint(lim>>10, 10) + " && exec \"$0\" " + map[string]string{kindPython: "-c pass", kindProvided: "-test.run=^$"}[tc.kind], p}
		if out, err := exec.Command("/bin/sh", args...).CombinedOutput(); err != nil {
			t.Errorf("%s under RLIMIT_AS %d MB: %v\n%s", tc.kind, lim>>20, err, out)
		}
	}
	if addressSpaceLimit(kindNode, 128) != 0 {
		t.Error("node must not get RLIMIT_AS")
	}
}
