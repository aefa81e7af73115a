package sandbox

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Deployment package limits (Lambda's: 250 MB unzipped).
const (
	maxEntries      = 10000
	maxUnzippedSize = 250 << 20
)

// ErrBadPackage wraps every reason a deployment package is refused.
var ErrBadPackage = errors.New("sandbox: invalid deployment package")

type extraction struct {
	done chan struct{}
	dir  string
	err  error
}

// extract returns the directory holding fn's code, extracting the package
// once per CodeSha256. The code is checked against CodeSha256 when it is
// extracted; later calls with the same CodeSha256 reuse that copy without
// hashing the package again (it is hashed on every cold start otherwise).
func (m *Manager) extract(fn *Function) (string, error) {
	// The package is hashed only when it is extracted: a directory named
	// by a hash holds code that was checked against it.
	var key string
	if want, err := base64.StdEncoding.DecodeString(fn.CodeSha256); err == nil && len(want) == sha256.Size {
		key = hex.EncodeToString(want)
	} else if fn.CodeSha256 != "" {
		return "", fmt.Errorf("%w: bad CodeSha256", ErrBadPackage)
	} else {
		sum := sha256.Sum256(fn.Code)
		key = hex.EncodeToString(sum[:])
	}
	dir := filepath.Join(m.codeDir, key)
	m.extractMu.Lock()
	if x := m.extracting[key]; x != nil {
		m.extractMu.Unlock()
		<-x.done
		return x.dir, x.err
	}
	if _, err := os.Stat(dir); err == nil {
		m.extractMu.Unlock()
		return dir, nil
	}
	x := &extraction{done: make(chan struct{}), dir: dir}
	m.extracting[key] = x
	m.extractMu.Unlock()

	var err error
	sum := sha256.Sum256(fn.Code)
	if hex.EncodeToString(sum[:]) != key {
		err = fmt.Errorf("%w: CodeSha256 does not match the code", ErrBadPackage)
	}
	var tmp string
	if err == nil {
		tmp, err = os.MkdirTemp(m.codeDir, ".extract-")
	}
	if err == nil {
		err = Unzip(fn.Code, tmp)
		if err == nil {
			os.Chmod(tmp, 0o755)
			err = os.Rename(tmp, dir)
		}
		if err != nil {
			os.RemoveAll(tmp)
		}
	}
	x.err = err
	m.extractMu.Lock()
	delete(m.extracting, key)
	m.extractMu.Unlock()
	close(x.done)
	return dir, err
}

// CheckPackage checks, without extracting it, that code is a zip that
// Unzip would accept as far as its directory tells: at most 10,000
// entries, at most 250 MB declared, no entry leaving the package. (Unzip
// still counts the bytes it writes.) It returns an error wrapping
// ErrBadPackage.
func CheckPackage(code []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPackage, err)
	}
	if len(zr.File) > maxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrBadPackage, maxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > maxUnzippedSize {
			return fmt.Errorf("%w: unzipped size exceeds %d bytes", ErrBadPackage, maxUnzippedSize)
		}
		if _, err := entryName(f.Name); err != nil {
			return err
		}
	}
	return nil
}

// Unzip extracts a deployment package into dir, refusing paths that leave
// dir (absolute, "..", or through a symlink of the package: all writes go
// through an os.Root), more than 10,000 entries or more than 250 MB of
// content (counted as written, not as declared). File modes are kept
// (bootstrap stays executable) and made readable by the function user.
func Unzip(code []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPackage, err)
	}
	if len(zr.File) > maxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrBadPackage, maxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > maxUnzippedSize {
			return fmt.Errorf("%w: unzipped size exceeds %d bytes", ErrBadPackage, maxUnzippedSize)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	budget := int64(maxUnzippedSize)
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		mode := f.Mode()
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
		}
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
			}
		case mode&fs.ModeSymlink != 0:
			target, err := readSmall(f, 4096)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
			}
			if err := root.Symlink(string(target), name); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
			}
		case mode.IsRegular():
			perm := mode.Perm() | 0o444
			if perm&0o111 != 0 {
				perm |= 0o111
			}
			perm &^= 0o022
			n, err := writeEntry(root, f, name, perm, budget)
			if err != nil {
				return err
			}
			budget -= n
		default:
			// devices, pipes: skipped
		}
	}
	return nil
}

func entryName(n string) (string, error) {
	if strings.ContainsRune(n, '\\') || strings.ContainsRune(n, 0) {
		return "", fmt.Errorf("%w: bad entry name %q", ErrBadPackage, n)
	}
	c := strings.TrimSuffix(n, "/")
	if c == "" {
		return ".", nil
	}
	if path.IsAbs(c) || !filepath.IsLocal(c) {
		return "", fmt.Errorf("%w: entry %q leaves the package", ErrBadPackage, n)
	}
	return path.Clean(c), nil
}

func readSmall(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errors.New("symlink target too long")
	}
	return b, nil
}

func writeEntry(root *os.Root, f *zip.File, name string, perm fs.FileMode, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	cerr := out.Close()
	if err != nil {
		return n, fmt.Errorf("%w: %s: %v", ErrBadPackage, f.Name, err)
	}
	if cerr != nil {
		return n, cerr
	}
	if n > budget {
		return n, fmt.Errorf("%w: unzipped size exceeds %d bytes", ErrBadPackage, maxUnzippedSize)
	}
	root.Chmod(name, perm) // OpenFile's perm is masked by the umask
	return n, nil
}
