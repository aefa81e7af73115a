package sandbox

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Our runtime interface clients for Node.js and Python, written to
// LAMBDA_RUNTIME_DIR at start-up.
//
//go:embed runtime/node/index.mjs runtime/python/bootstrap.py
var runtimeFiles embed.FS

const (
	kindProvided = "provided"
	kindNode     = "node"
	kindPython   = "python"
)

// RuntimeError names a runtime this server cannot run; it wraps
// ErrUnknownRuntime or ErrRuntimeUnavailable.
type RuntimeError struct {
	Runtime string
	Msg     string
	Kind    error
}

func (e *RuntimeError) Error() string { return e.Msg }
func (e *RuntimeError) Unwrap() error { return e.Kind }

// runtimeSpec is how to start one runtime.
type runtimeSpec struct {
	name string
	kind string
	exe  string // interpreter for node and python
}

var supported = map[string]string{
	"provided":        kindProvided,
	"provided.al2":    kindProvided,
	"provided.al2023": kindProvided,
	"nodejs18.x":      kindNode,
	"nodejs20.x":      kindNode,
	"nodejs22.x":      kindNode,
	"python3.9":       kindPython,
	"python3.10":      kindPython,
	"python3.11":      kindPython,
	"python3.12":      kindPython,
	"python3.13":      kindPython,
}

// known lists Lambda runtimes this server does not run.
var known = []string{"nodejs", "python", "java", "dotnet", "ruby", "go1.x"}

// runtime resolves a runtime name to how to start it, finding the
// interpreter once per runtime.
func (m *Manager) runtime(name string) (*runtimeSpec, error) {
	kind, ok := supported[name]
	if !ok {
		for _, k := range known {
			if strings.HasPrefix(name, k) {
				return nil, &RuntimeError{Runtime: name, Kind: ErrRuntimeUnavailable,
					Msg: fmt.Sprintf("The runtime %s is not supported by this server. Supported runtimes: %s.", name, supportedList())}
			}
		}
		return nil, &RuntimeError{Runtime: name, Kind: ErrUnknownRuntime,
			Msg: fmt.Sprintf("Unknown runtime %q. Supported runtimes: %s.", name, supportedList())}
	}
	if kind == kindProvided {
		return &runtimeSpec{name: name, kind: kind}, nil
	}
	m.rtMu.Lock()
	defer m.rtMu.Unlock()
	if s, ok := m.rtCache[name]; ok {
		return s, nil
	}
	var cands []string
	switch kind {
	case kindNode:
		cands = []string{"node", "nodejs", "/usr/bin/node", "/usr/local/bin/node"}
	case kindPython:
		v := strings.TrimPrefix(name, "python")
		cands = []string{"python" + v, "python3", "/usr/bin/python" + v, "/usr/bin/python3", "/usr/local/bin/python3"}
	}
	exe := m.findInterpreter(cands)
	if exe == "" {
		prog := map[string]string{kindNode: "node", kindPython: "python3"}[kind]
		who := ""
		if m.iso.uids != nil {
			who = " that every user can run (functions run as users of their own)"
		}
		return nil, &RuntimeError{Runtime: name, Kind: ErrRuntimeUnavailable,
			Msg: fmt.Sprintf("The runtime %s needs %s, and this server has no %s%s.", name, prog, prog, who)}
	}
	s := &runtimeSpec{name: name, kind: kind, exe: exe}
	m.rtCache[name] = s
	return s, nil
}

func supportedList() string {
	var s []string
	for k := range supported {
		s = append(s, k)
	}
	return strings.Join(sortedStrings(s), ", ")
}

func sortedStrings(s []string) []string {
	m := map[string]string{}
	for _, v := range s {
		m[v] = ""
	}
	return sortedKeys(m)
}

// findInterpreter returns the first candidate that exists and that the
// function user can execute (a pyenv shim under /root is not).
func (m *Manager) findInterpreter(cands []string) string {
	for _, c := range cands {
		p := c
		if !strings.ContainsRune(c, '/') {
			lp, err := exec.LookPath(c)
			if err != nil {
				continue
			}
			p = lp
		}
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if r, err = filepath.Abs(r); err != nil {
			continue
		}
		if m.iso.uids != nil && !executableByOthers(r) {
			continue
		}
		if fi, err := os.Stat(r); err != nil || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		return r
	}
	return ""
}

// command is the runtime's argv.
func (s *runtimeSpec) command(rtDir, taskRoot string, memMB int, memCgroup bool) ([]string, error) {
	switch s.kind {
	case kindProvided:
		b := filepath.Join(taskRoot, "bootstrap")
		fi, err := os.Stat(b)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return nil, fmt.Errorf("Couldn't find valid bootstrap(s): [%s]", b)
		}
		return []string{b}, nil
	case kindNode:
		heap := max(memMB*9/10, 16)
		return []string{s.exe, "--max-old-space-size=" + strconv.Itoa(heap), filepath.Join(rtDir, "node", "index.mjs")}, nil
	default:
		return []string{s.exe, filepath.Join(rtDir, "python", "bootstrap.py")}, nil
	}
}

// writeRuntimeFiles writes the embedded runtime clients under dir,
// readable by the function user.
func writeRuntimeFiles(dir string) error {
	return fs.WalkDir(runtimeFiles, "runtime", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "runtime"), "/")
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			return os.Chmod(dst, 0o755)
		}
		b, err := runtimeFiles.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		return os.Chmod(dst, 0o644)
	})
}

// CheckRuntime reports whether this server can run functions of the named
// runtime: nil, or a *RuntimeError (ErrUnknownRuntime or
// ErrRuntimeUnavailable) naming it. CreateFunction can call it to refuse a
// runtime up front.
func (m *Manager) CheckRuntime(name string) error {
	_, err := m.runtime(name)
	return err
}
