package kms_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
)

const helperEnv = "KMSLINT_STATE_HELPER_DIR"

// TestStateHelperProcess is not a test: TestStateSurvivesKill9 runs the
// test binary with helperEnv set, and this function then changes state in
// a loop, printing each change once the server has answered it, until it is
// killed.
func TestStateHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestStateSurvivesKill9")
	}
	run := os.Getenv(helperEnv + "_RUN")
	srv, err := kms.Start(kms.Options{StateDir: dir, NoMemoryTrail: true})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	c, _ := srv.Client(akCaller, func(o *awskms.Options) { o.Retryer = aws.NopRetryer{} })
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		name := fmt.Sprintf("r%s-%d", run, i)
		k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("key " + name)})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		arn := *k.KeyMetadata.Arn
		steps := []func() error{
			func() error {
				_, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/k" + name), TargetKeyId: aws.String(arn)})
				return err
			},
			func() error {
				p := strings.Replace(srvDefaultPolicy, "Enable IAM User Permissions", fmt.Sprint("Version ", i), 1)
				_, err := c.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: aws.String(arn), Policy: aws.String(p)})
				return err
			},
			func() error {
				_, err := c.CreateGrant(ctx, &awskms.CreateGrantInput{KeyId: aws.String(arn), GranteePrincipal: aws.String(outsiderARN), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
				return err
			},
			func() error {
				_, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(arn)})
				return err
			},
		}
		fmt.Fprintln(out, "key", arn)
		out.Flush()
		for _, step := range steps[:i%len(steps)+1] {
			if err := step(); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
		}
		fmt.Fprintln(out, "done", arn, i%len(steps)+1)
		out.Flush()
	}
}

const srvDefaultPolicy = `{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}`

// The state directory survives kill -9 at arbitrary moments: every change
// acknowledged to a client is there after a restart, and the file is never
// torn.
func TestStateSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	dir := t.TempDir()
	acked := map[string]int{} // key ARN -> steps acknowledged
	for round := 0; round < 4; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStateHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, fmt.Sprintf("%s_RUN=%d", helperEnv, round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		killAfter := 10 + 7*round // changes to see before the kill
		seen := 0
		for seen < killAfter && lines.Scan() {
			f := strings.Fields(lines.Text())
			switch f[0] {
			case "key":
				acked[f[1]] = 0
				seen++
			case "done":
				var n int
				fmt.Sscan(f[2], &n)
				acked[f[1]] = n
				seen++
			default:
				cmd.Process.Kill()
				t.Fatalf("helper: %s", lines.Text())
			}
		}
		// Kill in the middle of whatever the helper is doing now.
		time.Sleep(time.Duration(round) * 3 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		verifyState(t, dir, acked)
	}
}

func verifyState(t *testing.T, dir string, acked map[string]int) {
	t.Helper()
	info, err := os.Stat(filepath.Join(dir, "kms-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", info.Mode().Perm())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", d.Mode().Perm())
	}
	srv, err := kms.Start(kms.Options{StateDir: dir, Identities: identity.Default()})
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	defer srv.Shutdown(context.Background())
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".kms-state-*")); len(tmps) != 0 {
		t.Errorf("temporary files left after restart: %v", tmps)
	}
	c, _ := srv.Client(akCaller)
	ctx := context.Background()
	for arn, steps := range acked {
		md, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(arn)})
		if err != nil {
			t.Fatalf("acknowledged key %s lost: %v", arn, err)
		}
		if steps >= 4 {
			if md.KeyMetadata.KeyState != types.KeyStateDisabled {
				t.Errorf("%s: acknowledged DisableKey lost", arn)
			}
		}
		if steps >= 1 {
			if _, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/k" + strings.TrimPrefix(*md.KeyMetadata.Description, "key "))}); err != nil {
				t.Errorf("%s: acknowledged alias lost: %v", arn, err)
			}
		}
		if steps >= 2 {
			p, err := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: aws.String(arn)})
			if err != nil || !strings.Contains(*p.Policy, "Version ") {
				t.Errorf("%s: acknowledged PutKeyPolicy lost", arn)
			}
		}
		if steps >= 3 {
			g, err := c.ListGrants(ctx, &awskms.ListGrantsInput{KeyId: aws.String(arn)})
			if err != nil || len(g.Grants) != 1 {
				t.Errorf("%s: acknowledged grant lost", arn)
			}
		}
		if md.KeyMetadata.KeyState == types.KeyStateEnabled {
			// The key material survived too.
			out, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("after restart")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
