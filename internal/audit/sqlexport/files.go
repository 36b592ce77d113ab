package sqlexport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// ReadFiles reads result exports of dialect d: files, directories (walked
// in lexical order for .csv or .json files, gzip'd or not, as CloudTrail
// Lake delivers them to S3) and cloudtrail.StdinName for stdin. It returns
// what it read in the shape cloudtrail.Read does, so the audit treats both
// alike. A named input that cannot be read at all is marked Unreadable.
// Only fn's error is returned.
func ReadFiles(d Dialect, paths []string, stdin io.Reader, f *cloudtrail.Filter, fn func(*cloudtrail.Event) error) (cloudtrail.Result, error) {
	var res cloudtrail.Result
	read := func(name string, named bool, r io.Reader) error {
		cr := &countingReader{r: r}
		br := bufio.NewReader(cr)
		var in io.Reader = br
		// By content, not name: Lake delivers gzip, people gunzip.
		if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
			zr, err := gzip.NewReader(br)
			if err != nil {
				res.Errors = append(res.Errors, cloudtrail.InputError{Source: name, Record: -1, Err: fmt.Errorf("gzip: %w", err), Unreadable: named})
				return nil
			}
			defer zr.Close()
			in = zr
		}
		var (
			st   Stats
			errs []cloudtrail.InputError
			err  error
		)
		if d == Athena {
			st, errs, err = ReadAthenaCSV(in, name, f, fn)
		} else {
			st, errs, err = ReadLakeJSON(in, name, f, fn)
		}
		res.Stats.Files++
		res.Stats.Records += st.Records
		res.Stats.Matched += st.Matched
		res.Stats.Bytes += cr.n
		for _, e := range errs {
			// Nothing readable in a file the user named: a usage error.
			e.Unreadable = named && e.Record < 0 && st.Records == 0
			res.Errors = append(res.Errors, e)
		}
		return err
	}
	for _, p := range paths {
		if p == cloudtrail.StdinName {
			if stdin == nil {
				stdin = os.Stdin
			}
			if err := read(p, true, stdin); err != nil {
				return res, err
			}
			continue
		}
		err := walk(p, d, func(name string, named bool) error {
			fh, err := os.Open(name)
			if err != nil {
				res.Errors = append(res.Errors, cloudtrail.InputError{Source: name, Record: -1, Err: unwrapPath(err), Unreadable: named})
				return nil
			}
			defer fh.Close()
			return read(name, named, fh)
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// walk calls fn for p, or for the export files under directory p.
func walk(p string, d Dialect, fn func(name string, named bool) error) error {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return fn(p, true)
	}
	ext := ".json"
	if d == Athena {
		ext = ".csv"
	}
	return filepath.WalkDir(p, func(name string, de fs.DirEntry, err error) error {
		if err != nil {
			return fn(name, false)
		}
		base := strings.TrimSuffix(de.Name(), ".gz")
		if de.IsDir() || !strings.HasSuffix(base, ext) {
			return nil // Athena writes .csv.metadata beside each result
		}
		return fn(name, false)
	})
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
