package authz

import "strings"

// Value is a request context value. Multi marks a multivalued key (such as
// aws:CalledVia or kms:EncryptionContextKeys): IAM requires a set operator
// (ForAnyValue/ForAllValues) to test those, and a plain operator on a
// multivalued key never matches, even with a single element.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
type Value struct {
	Values []string
	Multi  bool
}

// Context is the request context: condition keys and their values. Key
// names are case-insensitive ("Context key names are not case-sensitive",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
// which includes the encryption-context key inside kms:EncryptionContext:<key>
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context).
//
// A request carries a dozen keys or so, so the context is a small slice
// searched linearly: cheaper to build and to search than a map at that
// size. The zero value is an empty context ready to use.
type Context struct {
	entries []ctxEntry
}

type ctxEntry struct {
	lkey string // lower-cased
	key  string // the caller's spelling, for reports
	val  Value
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{entries: make([]ctxEntry, 0, 8)} }

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	c.put(key, Value{Values: []string{value}})
}

// SetMulti sets a multivalued key (any number of values, including none).
func (c *Context) SetMulti(key string, values ...string) {
	c.put(key, Value{Values: append([]string(nil), values...), Multi: true})
}

// Add appends a value to a key, turning it multivalued when it already had
// one: this is how `--context k=a --context k=b` builds a multivalued key.
func (c *Context) Add(key, value string) {
	if i := c.index(lower(key)); i >= 0 {
		e := &c.entries[i]
		e.val.Values = append(e.val.Values, value)
		e.val.Multi = true
		return
	}
	c.Set(key, value)
}

// Delete removes a key.
func (c *Context) Delete(key string) {
	if i := c.index(lower(key)); i >= 0 {
		c.entries = append(c.entries[:i], c.entries[i+1:]...)
	}
}

func (c *Context) put(key string, v Value) {
	lk := lower(key)
	if i := c.index(lk); i >= 0 {
		c.entries[i] = ctxEntry{lkey: lk, key: key, val: v}
		return
	}
	c.entries = append(c.entries, ctxEntry{lkey: lk, key: key, val: v})
}

func (c *Context) index(lkey string) int {
	for i := range c.entries {
		if c.entries[i].lkey == lkey {
			return i
		}
	}
	return -1
}

// lower is strings.ToLower without the allocation for keys that are
// already lower-case (most of them, once written by a program).
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// Get returns a key's value, matching the name case-insensitively.
func (c *Context) Get(key string) (Value, bool) {
	return c.lookup(lower(key))
}

// lookup takes an already lower-cased key (compiled policies lower-case
// their keys once).
func (c *Context) lookup(lkey string) (Value, bool) {
	if c == nil {
		return Value{}, false
	}
	if i := c.index(lkey); i >= 0 {
		return c.entries[i].val, true
	}
	return Value{}, false
}

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	n := &Context{}
	if c == nil {
		return n
	}
	n.entries = make([]ctxEntry, len(c.entries))
	for i, e := range c.entries {
		e.val.Values = append([]string(nil), e.val.Values...)
		n.entries[i] = e
	}
	return n
}

// Each calls fn for every key in the caller's spelling, in insertion order.
func (c *Context) Each(fn func(key string, v Value)) {
	if c == nil {
		return
	}
	for _, e := range c.entries {
		fn(e.key, e.val)
	}
}

// Len is the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// PutFolded sets key to v when the caller already has the lower-cased key
// (batch decoders cache them): it skips the case folding and, unlike Set,
// takes v's slice as is, so one backing array can serve many keys.
func (c *Context) PutFolded(lkey, key string, v Value) {
	if i := c.index(lkey); i >= 0 {
		c.entries[i] = ctxEntry{lkey: lkey, key: key, val: v}
		return
	}
	c.entries = append(c.entries, ctxEntry{lkey: lkey, key: key, val: v})
}

// NewContextSize returns an empty context with room for n keys (the fake
// KMS sets about two dozen per request).
func NewContextSize(n int) *Context { return &Context{entries: make([]ctxEntry, 0, n)} }
