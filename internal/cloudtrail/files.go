package cloudtrail

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// enumeratePath lists one path argument: standard input, a file, or a
// directory walked in lexical order (filepath.WalkDir sorts each directory),
// so the sequence numbers that order errors are the same on every run.
func (r *run) enumeratePath(ctx context.Context, p string, send func(*job) error) error {
	if p == StdinName {
		return send(&job{name: StdinName, named: true, open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(r.stdin()), nil
		}})
	}
	fi, err := os.Stat(p)
	if err != nil {
		r.enumError(InputError{Source: p, Record: -1, Err: err, Unreadable: true})
		return nil
	}
	if !fi.IsDir() {
		return send(fileJob(p, fi.Size(), true))
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			// WalkDir could not read a directory (or stat an entry);
			// everything else is still walked.
			r.enumError(InputError{Source: path, Record: -1, Err: err, Unreadable: path == p})
			return nil
		}
		if path == p {
			return nil
		}
		rel, _ := filepath.Rel(p, path)
		if reason := skipReason(filepath.ToSlash(path), filepath.ToSlash(rel), d.IsDir()); reason != "" {
			r.skip(path, reason)
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		var size int64
		if info, err := d.Info(); err == nil {
			if !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0 {
				r.skip(path, "not a regular file")
				return nil
			}
			size = info.Size()
		}
		return send(fileJob(path, size, false))
	})
}

func fileJob(path string, size int64, named bool) *job {
	return &job{name: path, named: named, size: size, open: func(context.Context) (io.ReadCloser, error) {
		return os.Open(path)
	}}
}
