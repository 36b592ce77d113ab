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
// The zero value is an empty context ready to use.
type Context struct {
	m map[string]Value
	// keys keeps the spelling the caller used, for reports.
	keys map[string]string
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{} }

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
	lk := strings.ToLower(key)
	if v, ok := c.m[lk]; ok {
		v.Values = append(v.Values, value)
		v.Multi = true
		c.m[lk] = v
		return
	}
	c.Set(key, value)
}

// Delete removes a key.
func (c *Context) Delete(key string) {
	lk := strings.ToLower(key)
	delete(c.m, lk)
	delete(c.keys, lk)
}

func (c *Context) put(key string, v Value) {
	if c.m == nil {
		c.m = make(map[string]Value, 8)
		c.keys = make(map[string]string, 8)
	}
	lk := strings.ToLower(key)
	c.m[lk] = v
	c.keys[lk] = key
}

// Get returns a key's value, matching the name case-insensitively.
func (c *Context) Get(key string) (Value, bool) {
	return c.lookup(strings.ToLower(key))
}

// lookup takes an already lower-cased key (compiled policies lower-case
// their keys once).
func (c *Context) lookup(lkey string) (Value, bool) {
	if c == nil || c.m == nil {
		return Value{}, false
	}
	v, ok := c.m[lkey]
	return v, ok
}

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	n := &Context{}
	if c == nil {
		return n
	}
	for lk, v := range c.m {
		n.put(c.keys[lk], Value{Values: append([]string(nil), v.Values...), Multi: v.Multi})
	}
	return n
}

// Each calls fn for every key in the caller's spelling, in no fixed order.
func (c *Context) Each(fn func(key string, v Value)) {
	if c == nil {
		return
	}
	for lk, v := range c.m {
		fn(c.keys[lk], v)
	}
}

// Len is the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.m)
}
