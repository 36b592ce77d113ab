package kms

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"testing"
	"time"

	"github.com/kmslint/kmslint/simulator/identity"
)

func testAEAD(t testing.TB) cipher.AEAD {
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

// The canonical context encoding is injective: contexts that local-kms and
// moto confuse encode differently.
func TestCanonicalContext(t *testing.T) {
	pairs := [][2]map[string]string{
		{{"purpose": "bench", "tenant": "t1"}, {"purp": "osebench", "tenantt": "1"}},
		{{"a": "bc"}, {"ab": "c"}},
		{{"a": ""}, {}},
		{{"": "a"}, {"a": ""}},
		{{"a": "b", "c": "d"}, {"a": "bc", "": "d"}},
		{nil, {}},
	}
	for _, p := range pairs {
		a, b := appendCanonicalContext(nil, p[0]), appendCanonicalContext(nil, p[1])
		if bytes.Equal(a, b) != (len(p[0]) == 0 && len(p[1]) == 0) {
			t.Errorf("%v and %v: encodings %x and %x", p[0], p[1], a, b)
		}
	}
	// Order of insertion does not matter.
	x := appendCanonicalContext(nil, map[string]string{"b": "2", "a": "1", "c": "3"})
	y := appendCanonicalContext([]byte{}, map[string]string{"c": "3", "a": "1", "b": "2"})
	if !bytes.Equal(x, y) {
		t.Error("encoding depends on map order")
	}
}

// FuzzCiphertextBlob: the blob decoder and GCM opening never panic, and
// only the exact blob with the exact context opens.
func FuzzCiphertextBlob(f *testing.F) {
	aead := testAEAD(f)
	h := blobHeader{KeyID: [16]byte{1, 2, 3}, MaterialID: [32]byte{4, 5, 6}}
	// Fuzz workers rerun this setup: the seed blob must not depend on a
	// random nonce, so it is built like seal does with a fixed one.
	good := []byte{blobVersion}
	good = append(good, h.KeyID[:]...)
	good = append(good, h.MaterialID[:]...)
	good = append(good, bytes.Repeat([]byte{9}, nonceLen)...)
	aad := appendCanonicalContext(bytes.Clone(good[:headerLen]), map[string]string{"k": "v"})
	good = aead.Seal(good, good[headerLen:], []byte("data key"), aad)
	if _, n, sl, err := parseBlob(good); err != nil {
		f.Fatal(err)
	} else if pt, err := open(aead, good, n, sl, map[string]string{"k": "v"}); err != nil || string(pt) != "data key" {
		f.Fatalf("seed blob does not open: %v", err)
	}
	sealed, err := seal(aead, h, []byte("data key"), map[string]string{"k": "v"})
	if err != nil || len(sealed) != len(good) || !bytes.Equal(sealed[:headerLen], good[:headerLen]) {
		f.Fatalf("seal's framing differs from the seed's: %v", err)
	}
	// The engine may reuse seed slices: give it copies.
	f.Add(bytes.Clone(good), "k", "v")
	f.Add(bytes.Clone(good[:len(good)-1]), "k", "v")
	f.Add([]byte{1}, "", "")
	f.Add(append([]byte{2}, good[1:]...), "k", "v")
	f.Add(bytes.Repeat([]byte{1}, 100), "purp", "osebench")
	f.Fuzz(func(t *testing.T, blob []byte, k, v string) {
		ph, nonce, sealed, err := parseBlob(blob)
		if err != nil {
			return
		}
		if len(nonce) != nonceLen || len(sealed) < tagLen {
			t.Fatalf("parsed nonce %d sealed %d", len(nonce), len(sealed))
		}
		pt, err := open(aead, blob, nonce, sealed, map[string]string{k: v})
		if err == nil && (!bytes.Equal(blob, good) || k != "k" || v != "v" || ph != h || string(pt) != "data key") {
			t.Fatalf("a blob or context other than the sealed one opened: %x %q=%q", blob, k, v)
		}
	})
}

// FuzzDecodeRequest: request bodies of every operation decode or fail with
// a SerializationException, never a panic.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{}`, ``, `{"KeyId": "alias/x", "EncryptionContext": {"a": "b"}, "NumberOfBytes": 32}`,
		`{"CiphertextBlob": "AAEC", "DryRunModifiers": ["IGNORE_CIPHERTEXT"]}`, `{"KeyId": 5}`, `[1]`, `{"a":1} x`,
		`{"Operations": ["Decrypt"], "Constraints": {"EncryptionContextSubset": {"a": "b"}}}`, `{"Limit": 1e999}`,
		`{"Tags": [{"TagKey": "a", "TagValue": null}]}`, `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{
			&createKeyInput{}, &keyIDInput{}, &getKeyPolicyInput{}, &putKeyPolicyInput{}, &listInput{},
			&aliasInput{}, &scheduleInput{}, &encryptInput{}, &decryptInput{}, &reEncryptInput{},
			&generateDataKeyInput{}, &generateRandomInput{}, &createGrantInput{}, &listGrantsInput{}, &revokeGrantInput{},
		}
		for _, v := range targets {
			if e := decode(body, v); e != nil && e.Code != CodeSerialization {
				t.Fatalf("decode error code %s", e.Code)
			}
		}
	})
}

// FuzzContextHeader: X-Kmslint-Context parses to condition keys or fails.
func FuzzContextHeader(f *testing.F) {
	for _, s := range []string{`{"aws:SourceArn": "arn:aws:x"}`, `{"a:b": ["1", "2"]}`, `{"a:b": 1}`, `null`, `{}`, `{"a:b": null}`, `{"A:b":"1","a:B":"2"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		m, err := decodeContextHeader([]byte(h))
		if err != nil {
			return
		}
		for k, vs := range m {
			if !bytes.Contains([]byte(k), []byte(":")) || vs == nil {
				t.Fatalf("accepted %q = %v", k, vs)
			}
		}
	})
}

// FuzzStateFile: a state file, however edited, loads or is refused.
func FuzzStateFile(f *testing.F) {
	srv, err := New(Options{Identities: identity.Default(), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		f.Fatal(err)
	}
	uid, _ := newUUID()
	m, err := newMaterial(specSymmetric)
	if err != nil {
		f.Fatal(err)
	}
	k := &key{id: uid, ID: formatUUID(uid), Account: "111122223333", Spec: specSymmetric, Usage: usageEncrypt, Origin: "AWS_KMS",
		State: stateEnabled, PolicyText: srv.defaultKeyPolicy("111122223333"), current: m,
		materials: map[[materialIDLen]byte]*material{m.id: m}, aliases: []string{"alias/a"}}
	srv.store.keys[uid] = k
	srv.store.aliases[aliasKey(k.Account, "alias/a")] = &alias{Name: "alias/a", Account: k.Account, KeyID: k.ID}
	good, err := encodeState(srv.region, srv.store)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"region":"us-east-1","keys":[],"aliases":[]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data, srv)
		if err != nil {
			return
		}
		// What loads must encode again and reload to the same state.
		again, err := encodeState(srv.region, st)
		if err != nil {
			t.Fatalf("loaded state does not encode: %v", err)
		}
		st2, err := decodeState(again, srv)
		if err != nil {
			t.Fatalf("re-encoded state does not load: %v", err)
		}
		third, _ := encodeState(srv.region, st2)
		if !bytes.Equal(again, third) {
			t.Fatal("state does not round-trip")
		}
		var doc stateDoc
		if err := json.Unmarshal(again, &doc); err != nil || len(doc.Keys) != len(st.keys) {
			t.Fatalf("encoded %d keys of %d", len(doc.Keys), len(st.keys))
		}
	})
}
