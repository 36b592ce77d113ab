package main

// TestDocumentedCommands runs every kmslint command line of README.md's code
// blocks and of the commands' --help EXAMPLES, as typed, with /bin/sh in a
// fresh copy of testdata/readme, and checks that each does what the docs
// say. AWS calls go to fakes on 127.0.0.1 named by the SDK's standard
// endpoint variables: the fake KMS of simulator/kms (live keys) and the
// S3/CloudTrail fake of audit_test.go (--s3, --lookup). A documented line
// without an entry in documented below fails the test, and so does an entry
// no document uses any more: the docs cannot drift from what kmslint does.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/simulator/kms"
)

// docFixture is what a documented command line must do in testdata/readme.
type docFixture struct {
	exit   int      // exit status
	out    string   // stdout contains this (after the shell's redirections)
	files  []string // files the command writes (non-empty afterwards)
	fileIn string   // files[0] contains this
	// endpoint is a URL the line names that the test swaps for the fake
	// KMS's (the README's port 4566 may be taken on a shared machine).
	endpoint string
	// until runs a server: once its stdout contains this, it gets SIGINT.
	until string
	// env overrides the test's environment ("" unsets).
	env map[string]string
}

// documented maps each documented command line, exactly as the document has
// it (continuation lines joined with one space), to what it must do. To add
// a line: copy it here with its exit status and what it writes, and put the
// files it reads in testdata/readme.
var documented = map[string]docFixture{
	// README: the quick start (go run ./cmd/kmslint is run as kmslint).
	"go run ./cmd/kmslint simulate": {exit: 0, out: "1 of 1 scenario(s) met their expectation"},
	// README: audit.
	"kmslint audit AWSLogs/ --policy key.json            # local copy of the trail; denials explained against the policy":                {exit: 0, out: "a blocked attempt, nothing to change in the key policy; no statement of the given key policy allows it"},
	"kmslint audit --s3 s3://trail-bucket/AWSLogs/111122223333/ --since 2026-11-01 --format sarif -o audit.sarif":                        {exit: 0, files: []string{"audit.sarif"}, fileIn: `"ruleId": "AUD002"`},
	"kmslint audit --lookup --since 24h                   # CloudTrail LookupEvents, at most 2 requests/s":                               {exit: 0, out: "AUD002"},
	"kmslint audit --emit-sql athena > q.sql              # terabytes of trail: filter on Athena, then `audit --from athena result.csv`": {exit: 0, files: []string{"q.sql"}, fileIn: "eventsource = 'kms.amazonaws.com'"},
	// README: lint.
	"kmslint lint templates/ --format sarif -o kmslint.sarif          # CI: upload to GitHub code scanning":                              {exit: 0, files: []string{"kmslint.sarif"}, fileIn: `"version": "2.1.0"`},
	"kmslint lint key.json --account 111122223333 --region us-east-1 --caller arn:aws:iam::111122223333:role/MyRecommendationRole":       {exit: 0, out: "no problems found in 1 file (1 policy)"},
	"kmslint lint main.tf                                             # Terraform: jsonencode, heredoc, file(), aws_iam_policy_document": {exit: 0, out: "no problems found in 1 file (1 policy)"},
	"kmslint simulate --policy key.yaml --scenario all                # the lifecycle and fault scenarios with your template's key":      {exit: 0, out: "8 of 8 scenario(s) met their expectation"},
	"kmslint lint plan.json --fail-on warning --ignore ACR008":                                                                           {exit: 0, out: "no problems found in 1 file (1 policy)"},
	// README: eval.
	"kmslint eval --policy key.json --principal arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/s --action kms:GenerateDataKey --context kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn=arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G": {exit: 0, out: "Allow"},
	"kmslint eval --policy key.json --requests requests.jsonl > decisions.jsonl   # one decision per line, in order": {exit: 0, files: []string{"decisions.jsonl"}, fileIn: `{"decision":"ImplicitDeny"`},
	// README: live keys (the fake KMS holds the key and alias).
	"kmslint lint --key-arn arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab":              {exit: 0, out: "no problems found in 1 policy"},
	"kmslint lint --key-arn alias/recommendations --aws-profile prod        # alias or key id: the configured region": {exit: 0, out: "no problems found"},
	"kmslint lint --key-arn \"$KEY_ARN\" --region us-east-1 templates/       # live keys and files in one run":        {exit: 0, out: "no problems found in 2 files (3 policies)"},
	"kmslint lint --key-arn \"$KEY_ARN\" --endpoint-url http://127.0.0.1:4566 # a local KMS (kmslint serve)": {exit: 0, out: "no problems found",
		endpoint: "http://127.0.0.1:4566", env: map[string]string{"AWS_ENDPOINT_URL_KMS": ""}},
	// README: the GitHub Actions workflow's run: lines.
	"kmslint lint templates/ --format sarif -o kmslint.sarif":                         {exit: 0, files: []string{"kmslint.sarif"}, fileIn: `"name": "kmslint"`},
	"kmslint lint --key-arn alias/recommendations --region us-east-1 --format github": {exit: 0},

	// --help EXAMPLES (examples.go).
	"kmslint lint key.json --account 111122223333 --region us-east-1":                                                                    {exit: 0, out: "no problems found"},
	"kmslint lint --key-arn alias/recommendations --aws-profile prod":                                                                    {exit: 0, out: "no problems found"},
	"kmslint eval --policy key.json --principal arn:aws:iam::111122223333:role/MyRecommendationRole --action kms:DescribeKey":            {exit: 0, out: "Allow"},
	"kmslint eval --policy key.json --requests requests.jsonl --exit-code > decisions.jsonl":                                             {exit: 1, files: []string{"decisions.jsonl"}, fileIn: `{"decision":"Allow"`},
	"kmslint audit AWSLogs/ --policy key.json":                                                                                           {exit: 0, out: "AUD002"},
	"kmslint audit --emit-sql athena > q.sql":                                                                                            {exit: 0, files: []string{"q.sql"}, fileIn: "SELECT"},
	"kmslint generate --account 111122223333 --region us-east-1 --caller arn:aws:iam::111122223333:role/MyRecommendationRole > key.json": {exit: 0, files: []string{"key.json"}, fileIn: `"Sid": "AllowServicePrincipalAccess"`},
	"kmslint simulate --policy key.json --scenario all":                                                                                  {exit: 0, out: "8 of 8 scenario(s) met their expectation"},
	"kmslint rules --format json":                                                                                                        {exit: 0, out: `"id": "AUD007"`},
	"kmslint explain ACR006":                                                                                                             {exit: 0, out: "Service principal open to confused deputy"},
	"kmslint serve --addr 127.0.0.1:0 --trail trail/":                                                                                    {exit: 0, until: "Ctrl-C stops the server", out: "allow-all IAM policies"},
}

// documentedFiles are the documents whose code blocks are checked.
var documentedFiles = []string{"../../README.md"}

// fixtureKeyARN is the README's example key, which the fake KMS holds.
const fixtureKeyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// TestMain lets the test binary be kmslint itself for the shell that
// TestDocumentedCommands starts: the commands run the code under test
// without a separate go build.
func TestMain(m *testing.M) {
	if os.Getenv("KMSLINT_TEST_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestDocumentedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every documented command in a shell")
	}
	lines := map[string]string{} // line -> where it is documented
	for _, doc := range documentedFiles {
		found := commandLines(t, doc)
		if len(found) == 0 {
			t.Fatalf("%s: no kmslint command line found in its code blocks", doc)
		}
		for _, l := range found {
			lines[l.text] = l.where
		}
	}
	for _, l := range helpExamples(t) {
		lines[l.text] = l.where
	}
	for line := range documented {
		if _, ok := lines[line]; !ok {
			t.Errorf("documented has an entry no document uses any more; remove it:\n%q", line)
		}
	}

	env := newDocEnv(t)
	for _, line := range slices.Sorted(maps.Keys(lines)) {
		fx, ok := documented[line]
		if !ok {
			t.Errorf("%s: no fixture for\n  %s\nAdd to documented in cmd/kmslint/readme_test.go a line such as\n  %q: {exit: 0, out: \"what it prints\"},\nand put the files it reads in cmd/kmslint/testdata/readme.", lines[line], line, line)
			continue
		}
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			env.run(t, line, fx)
		})
	}
}

type docLine struct{ text, where string }

// kmslintCommand matches a command line in a code block: a shell line, or a
// workflow step's run: value.
var kmslintCommand = regexp.MustCompile(`^(?:-\s+)?(?:run:\s+)?((?:kmslint|go run \./cmd/kmslint)\s.*)$`)

// commandLines returns the kmslint command lines of a Markdown file's
// fenced code blocks, continuation lines joined.
func commandLines(t *testing.T, file string) []docLine {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []docLine
	inBlock, joined, start := false, "", 0
	for i, raw := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "```") {
			inBlock, joined = !inBlock, ""
			continue
		}
		if !inBlock {
			continue
		}
		if joined == "" {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			joined += strings.TrimSpace(cont) + " "
			continue
		}
		line := joined + trimmed
		joined = ""
		if m := kmslintCommand.FindStringSubmatch(line); m != nil {
			out = append(out, docLine{text: m[1], where: file + ":" + strconv.Itoa(start)})
		}
	}
	return out
}

// helpExamples returns the EXAMPLES lines of every command's --help.
func helpExamples(t *testing.T) []docLine {
	t.Helper()
	var out []docLine
	for _, c := range newApp(env{getenv: os.Getenv}).Commands {
		code, help, errOut := runCLI(t, "", c.Name, "--help")
		if code != 0 {
			t.Fatalf("kmslint %s --help: exit %d: %s", c.Name, code, errOut)
		}
		_, section, ok := strings.Cut(help, "\nEXAMPLES:\n")
		if !ok {
			continue
		}
		for _, l := range strings.Split(section, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "kmslint ") {
				out = append(out, docLine{text: l, where: "kmslint " + c.Name + " --help"})
			}
		}
	}
	return out
}

// docEnv is what the documented commands run against.
type docEnv struct {
	fixtures string   // testdata/readme
	vars     []string // the environment of every command
	kmsURL   string
}

func newDocEnv(t *testing.T) *docEnv {
	t.Helper()
	fixtures, err := filepath.Abs("testdata/readme")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "kmslint")); err != nil {
		t.Fatal(err)
	}
	kmsURL := startFixtureKMS(t, filepath.Join(fixtures, "key.json"))
	aws := startFixtureTrail(t, fixtures)

	// The shared config has the README's prod profile (with the fake KMS's
	// caller credentials) and a default region, as a configured machine does.
	config := filepath.Join(home, "config")
	credentials := filepath.Join(home, "credentials")
	writeText(t, config, "[default]\nregion = us-east-1\n\n[profile prod]\nregion = us-east-1\n")
	writeText(t, credentials, "[prod]\naws_access_key_id = AKIAEXAMPLECALLER001\naws_secret_access_key = caller-secret\n")
	vars := []string{
		"KMSLINT_TEST_AS_MAIN=1",
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"KEY_ARN=" + fixtureKeyARN,
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLECALLER001",
		"AWS_SECRET_ACCESS_KEY=caller-secret",
		"AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentials,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_ENDPOINT_URL_KMS=" + kmsURL,
		"AWS_ENDPOINT_URL_S3=" + aws,
		"AWS_ENDPOINT_URL_CLOUDTRAIL=" + aws,
	}
	return &docEnv{fixtures: fixtures, vars: vars, kmsURL: kmsURL}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startFixtureKMS serves a fake KMS holding the README's key (its policy is
// policyFile) and alias/recommendations. KMS picks key ids itself, so the
// key is created through the API and its id then set in the server's state
// file, which the server reads back as a hand-edited file.
func startFixtureKMS(t *testing.T, policyFile string) string {
	t.Helper()
	policyText, err := os.ReadFile(policyFile)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	srv, err := kms.Start(kms.Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	client, err := srv.Client("AKIAEXAMPLECALLER001")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, err := client.CreateKey(ctx, &awskms.CreateKeyInput{Policy: aws.String(string(policyText))})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(key.KeyMetadata.KeyId)
	if _, err := client.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/recommendations"), TargetKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(state, "kms-state.json")
	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	wantID := fixtureKeyARN[strings.LastIndex(fixtureKeyARN, "/")+1:]
	writeText(t, stateFile, strings.ReplaceAll(string(data), id, wantID))
	srv, err = kms.Start(kms.Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv.Endpoint()
}

// startFixtureTrail serves the fixture trail as S3 (bucket trail-bucket,
// the AWSLogs/ layout) and as CloudTrail LookupEvents, whose records are
// moved to the last hour so that --since 24h finds them.
func startFixtureTrail(t *testing.T, fixtures string) string {
	t.Helper()
	fake := &fakeAWS{t: t, bucket: "trail-bucket", accessKey: "AKIAEXAMPLECALLER001", objects: map[string][]byte{}}
	root := filepath.Join(fixtures, "AWSLogs")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtures, path)
		fake.objects[filepath.ToSlash(rel)] = data
		var file struct{ Records []map[string]any }
		if err := json.Unmarshal(gunzip(t, data), &file); err != nil {
			return err
		}
		recent := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		var page []json.RawMessage
		for i, r := range file.Records {
			r["eventTime"] = recent.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
			b, _ := json.Marshal(r)
			page = append(page, b)
		}
		fake.lookup = append(fake.lookup, page)
		return nil
	})
	if err != nil || len(fake.objects) == 0 {
		t.Fatalf("fixture trail: %v", err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return srv.URL
}

// run runs one documented line in a fresh copy of the fixtures.
func (de *docEnv) run(t *testing.T, line string, fx docFixture) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(de.fixtures)); err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(line, "go run ./cmd/kmslint", "kmslint", 1)
	if fx.endpoint != "" {
		if !strings.Contains(script, fx.endpoint) {
			t.Fatalf("the line does not name %s", fx.endpoint)
		}
		script = strings.ReplaceAll(script, fx.endpoint, de.kmsURL)
	}
	if fx.until != "" {
		script = "exec " + script // SIGINT goes to kmslint, not to the shell
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = de.environ(fx.env)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if fx.until != "" {
		for !strings.Contains(stdout.String(), fx.until) {
			if ctx.Err() != nil {
				t.Fatalf("never printed %q; stdout:\n%s\nstderr:\n%s", fx.until, stdout.String(), stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	err := cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != fx.exit {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, fx.exit, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), fx.out) {
		t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", fx.out, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "internal error") {
		t.Errorf("a crash on stderr:\n%s", stderr.String())
	}
	for i, f := range fx.files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(data) == 0 {
			t.Errorf("%s not written: %v", f, err)
			continue
		}
		if i == 0 && !bytes.Contains(data, []byte(fx.fileIn)) {
			t.Errorf("%s lacks %q:\n%s", f, fx.fileIn, clip(data))
		}
	}
}

func (de *docEnv) environ(override map[string]string) []string {
	vars := slices.Clone(de.vars)
	for k, v := range override {
		vars = slices.DeleteFunc(vars, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
		if v != "" {
			vars = append(vars, k+"="+v)
		}
	}
	return vars
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return data // a plain .json log
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lockedBuffer is written by the process's output copier while the test
// polls it for a server's start-up line.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
