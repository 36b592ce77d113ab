package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeOutput writes to stdout, or to file atomically (write a temporary
// file beside it, then rename) so an interrupted run never leaves half a
// report where CI expects a whole one.
func writeOutput(file string, data []byte, e env) error {
	if file == "" || file == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return inputErrf("%s: %v", file, unwrapPathError(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return inputErrf("%s: %v", file, err)
	}
	if err := tmp.Close(); err != nil {
		return inputErrf("%s: %v", file, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return inputErrf("%s: %v", file, err)
	}
	return nil
}

// writeJSON writes v as indented JSON with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
