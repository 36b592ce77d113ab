// Package config reads .kmslint.yaml: defaults for lint and audit that a
// repository keeps next to its templates (profile, account, region, callers,
// ignores). Unknown keys are errors with their position, so a typo such as
// "ignores:" does not silently disable a suppression.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultFile is read when --config is not given and it exists, in the
// current directory or a parent of it within the repository (see Find).
const DefaultFile = ".kmslint.yaml"

// Config is the file's content.
type Config struct {
	Profiles []string `yaml:"profile"`
	Account  string   `yaml:"account"`
	Region   string   `yaml:"region"`
	// Org is the organization that is the zone of trust (--org).
	Org     string   `yaml:"org"`
	Callers []string `yaml:"callers"`
	Ignore  []string `yaml:"ignore"`
	FailOn  string   `yaml:"fail-on"`
	// Path is the file the configuration was read from; "" when none.
	Path string `yaml:"-"`
}

// Load reads file when explicit (--config FILE), or else the DefaultFile
// that Find finds from the current directory; none is fine then.
func Load(file string, explicit bool) (Config, error) {
	if !explicit {
		found, err := Find(".")
		if err != nil || found == "" {
			return Config{}, err
		}
		file = found
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", file, unwrap(err))
	}
	return Parse(file, data)
}

// Find returns the DefaultFile that applies in dir, as a path relative to
// dir when dir is relative: the nearest one in dir or its parents up to the
// repository root, the first directory with a .git entry (a directory, or
// the file of a worktree or submodule), as git finds its own. Outside a
// repository only dir's own counts: there is no root to stop at, and a
// .kmslint.yaml in /tmp or a home directory belongs to nobody's project.
// "" when there is none.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	root := ""
	for d := abs; ; {
		if exists(filepath.Join(d, ".git")) {
			root = d
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	rel := dir
	for d := abs; ; d = filepath.Dir(d) {
		if f := filepath.Join(d, DefaultFile); exists(f) {
			if filepath.IsAbs(dir) {
				return f, nil
			}
			return filepath.Join(rel, DefaultFile), nil
		}
		if root == "" || d == root {
			return "", nil
		}
		rel = filepath.Join(rel, "..")
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Parse decodes a config document strictly.
func Parse(file string, data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{Path: file}, nil // an empty file configures nothing
		}
		return Config{}, fmt.Errorf("%s", positioned(file, err))
	}
	c.Path = file
	return c, nil
}

// positioned turns yaml.v3's "yaml: line N: msg" into "FILE:N:1: msg".
func positioned(file string, err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		rest := msg[strings.Index(msg, ":")+1:]
		return fmt.Sprintf("%s:%d:1: %s", file, line, strings.TrimSpace(rest))
	}
	return fmt.Sprintf("%s:1:1: %s", file, msg)
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Ignores are parsed `RULE[:RESOURCE]` suppressions. RESOURCE is a
// resource name (CloudFormation logical id, Terraform address, key ARN) or a
// file path glob.
type Ignores []ignore

type ignore struct {
	rule, resource string
}

// ParseIgnores checks the form of suppressions. Whether a rule of that id
// exists depends on the rules loaded (--rules DIR adds ids of any form), so
// the caller checks that.
func ParseIgnores(specs []string) (Ignores, error) {
	var out Ignores
	for _, s := range specs {
		rule, res, _ := strings.Cut(strings.TrimSpace(s), ":")
		if !validRuleID(rule) {
			return nil, fmt.Errorf("--ignore %q: want RULE or RULE:RESOURCE, e.g. ACR008 or KMS006:RecommendationKey", s)
		}
		out = append(out, ignore{rule: rule, resource: res})
	}
	return out, nil
}

// validRuleID: a letter, then letters, digits, '-' or '_'.
func validRuleID(id string) bool {
	for i, c := range id {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_')) {
			return false
		}
	}
	return id != ""
}

// Match reports whether a finding is suppressed. Rule ids are compared
// case-insensitively, as `kmslint explain` looks them up.
func (ig Ignores) Match(rule, resource, file string) bool {
	for _, i := range ig {
		if !strings.EqualFold(i.rule, rule) {
			continue
		}
		if i.resource == "" || i.resource == resource {
			return true
		}
		if ok, _ := path.Match(i.resource, file); ok {
			return true
		}
	}
	return false
}
