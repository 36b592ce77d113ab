package input

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// StdinName is the file name given to what is read from "-".
const StdinName = "<stdin>"

// Skipped is a file or directory a walk passed over, and why (for -v).
type Skipped struct {
	Path   string
	Reason string
}

// WalkOptions configures Walk.
type WalkOptions struct {
	Env Env
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// Walk loads the files named by paths, in order: a file, "-" for Stdin, or a
// directory, walked recursively in lexical order. In a directory only files
// named *.json, *.yaml, *.yml, *.template or *.tf are read, and hidden
// directories and node_modules are not entered; a file there whose kind
// cannot be told (not JSON/YAML, or none of the kinds kmslint reads) is
// skipped and listed with the reason.
//
// Input errors do not stop the walk: a path named explicitly that does not
// load, and a file in a directory that cannot be read or is of a kind
// kmslint reads but does not load (a template whose KeyPolicy is not JSON,
// a .tf file that does not parse), is an error of its own, returned in
// walk order beside the files that loaded. Each error is an *Error or a
// *policy.SyntaxError and names its file. A file reached twice is loaded
// once.
func Walk(paths []string, opts WalkOptions) ([]*File, []Skipped, []error) {
	w := walker{opts: opts, seen: map[string]bool{}}
	for _, p := range paths {
		w.path(p)
	}
	return w.files, w.skipped, w.errs
}

type walker struct {
	opts    WalkOptions
	seen    map[string]bool
	files   []*File
	skipped []Skipped
	errs    []error
}

func (w *walker) fail(err error) { w.errs = append(w.errs, err) }

func (w *walker) path(p string) {
	if p == "-" {
		if w.seen[StdinName] {
			return
		}
		w.seen[StdinName] = true
		if w.opts.Stdin == nil {
			w.fail(&Error{File: StdinName, Msg: "no standard input to read"})
			return
		}
		data, err := io.ReadAll(w.opts.Stdin)
		if err != nil {
			w.fail(&Error{File: StdinName, Msg: "cannot read: " + err.Error()})
			return
		}
		w.load(StdinName, data)
		return
	}
	info, err := os.Stat(p)
	if err != nil {
		w.fail(&Error{File: p, Msg: "cannot read: " + pathErr(err)})
		return
	}
	if !info.IsDir() {
		if w.once(p) {
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			w.fail(&Error{File: p, Msg: "cannot read: " + pathErr(err)})
			return
		}
		w.load(p, data)
		return
	}
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A directory or file that cannot be read may hold keys: an
			// input error, not a skip.
			w.fail(&Error{File: path, Msg: "cannot read: " + pathErr(err)})
			if d != nil && d.IsDir() && path != p {
				return fs.SkipDir
			}
			return nil
		}
		if path == p {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || name == "node_modules" {
				w.skip(path, "directory not searched")
				return fs.SkipDir
			}
			return nil
		}
		if !candidate(name) {
			w.skip(path, "not a .json, .yaml, .yml, .template or .tf file")
			return nil
		}
		if !d.Type().IsRegular() {
			// Symbolic links to files are followed; links to directories
			// are not, which keeps the walk free of cycles.
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
				w.skip(path, "not a regular file")
				return nil
			}
		}
		if w.once(path) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			w.fail(&Error{File: path, Msg: "cannot read: " + pathErr(err)})
			return nil
		}
		f, format, err := load(path, data, w.opts.Env)
		switch {
		case err == nil:
			w.files = append(w.files, f)
		case format == FormatUnknown && !mentionsKey(data):
			// The error names the file already: keep its position and message.
			w.skip(path, strings.TrimSpace(strings.TrimPrefix(err.Error(), path+":")))
		default:
			w.fail(err)
		}
		return nil
	})
	if err != nil {
		w.fail(&Error{File: p, Msg: "cannot read: " + pathErr(err)})
	}
}

func (w *walker) load(name string, data []byte) {
	f, _, err := load(name, data, w.opts.Env)
	if err != nil {
		w.fail(err)
		return
	}
	w.files = append(w.files, f)
}

func (w *walker) skip(path, reason string) {
	w.skipped = append(w.skipped, Skipped{Path: path, Reason: reason})
}

// once reports whether path was loaded already, and marks it.
func (w *walker) once(path string) bool {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	if w.seen[key] {
		return true
	}
	w.seen[key] = true
	return false
}

func candidate(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml", ".template", ".tf":
		return true
	}
	return false
}

// mentionsKey tells a broken file that declares a KMS key (a template
// with a syntax error: an input error) from a broken file of another tool
// in the same directory (tsconfig.json with comments: skipped).
func mentionsKey(data []byte) bool {
	return bytes.Contains(data, []byte("AWS::KMS::Key")) || bytes.Contains(data, []byte("AWS::KMS::ReplicaKey"))
}

// pathErr drops the operation and path that *fs.PathError repeats.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
