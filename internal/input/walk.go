package input

import (
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
// named *.json, *.yaml, *.yml or *.template are read, and hidden directories
// and node_modules are not entered; a file there that is not JSON/YAML or is
// of none of the kinds kmslint reads is skipped and listed with the reason.
// A path named explicitly must load: its error is returned. A file reached
// twice is loaded once.
func Walk(paths []string, opts WalkOptions) ([]*File, []Skipped, error) {
	w := walker{opts: opts, seen: map[string]bool{}}
	for _, p := range paths {
		if err := w.path(p); err != nil {
			return nil, nil, err
		}
	}
	return w.files, w.skipped, nil
}

type walker struct {
	opts    WalkOptions
	seen    map[string]bool
	files   []*File
	skipped []Skipped
}

func (w *walker) path(p string) error {
	if p == "-" {
		if w.seen[StdinName] {
			return nil
		}
		w.seen[StdinName] = true
		if w.opts.Stdin == nil {
			return &Error{File: StdinName, Msg: "no standard input to read"}
		}
		data, err := io.ReadAll(w.opts.Stdin)
		if err != nil {
			return &Error{File: StdinName, Msg: "cannot read: " + err.Error()}
		}
		return w.load(StdinName, data)
	}
	info, err := os.Stat(p)
	if err != nil {
		return &Error{File: p, Msg: "cannot read: " + pathErr(err)}
	}
	if !info.IsDir() {
		if w.once(p) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return &Error{File: p, Msg: "cannot read: " + pathErr(err)}
		}
		return w.load(p, data)
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if path == p {
			if err != nil {
				return &Error{File: p, Msg: "cannot read: " + pathErr(err)}
			}
			return nil
		}
		if err != nil {
			w.skip(path, "cannot read: "+pathErr(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
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
			w.skip(path, "not a .json, .yaml, .yml or .template file")
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
			w.skip(path, "cannot read: "+pathErr(err))
			return nil
		}
		f, err := Load(path, data, w.opts.Env)
		if err != nil {
			// The error names the file already: keep its position and message.
			w.skip(path, strings.TrimSpace(strings.TrimPrefix(err.Error(), path+":")))
			return nil
		}
		w.files = append(w.files, f)
		return nil
	})
}

func (w *walker) load(name string, data []byte) error {
	f, err := Load(name, data, w.opts.Env)
	if err != nil {
		return err
	}
	w.files = append(w.files, f)
	return nil
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
	case ".json", ".yaml", ".yml", ".template":
		return true
	}
	return false
}

// pathErr drops the operation and path that *fs.PathError repeats.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
