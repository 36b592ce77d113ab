package kms

import (
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
)

// Tags on keys: TagResource, UntagResource, ListResourceTags. Neither works
// across accounts; tagging is refused on a key pending deletion.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html
// https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html

const maxTagsPerKey = 50

type tagResourceInput struct {
	KeyId *string
	Tags  []tag
}

type untagResourceInput struct {
	KeyId   *string
	TagKeys []string
}

// trailTag is a tag as CloudTrail logs it in requestParameters.
type trailTag struct {
	TagKey   string `json:"tagKey"`
	TagValue string `json:"tagValue"`
}

type tagParams struct {
	KeyID string     `json:"keyId"`
	Tags  []trailTag `json:"tags,omitempty"`
}

type untagParams struct {
	KeyID   string   `json:"keyId"`
	TagKeys []string `json:"tagKeys"`
}

type tagListEntry struct {
	TagKey   string
	TagValue string
}

type listResourceTagsOutput struct {
	Tags       []tagListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

func trailTags(tags []tagKV) []trailTag {
	out := make([]trailTag, len(tags))
	for i, t := range tags {
		out[i] = trailTag{t.Key, t.Value}
	}
	return out
}

// checkTag validates one tag as KMS does: key 1-128 characters, value at
// most 256, and no key beginning with the reserved aws: prefix.
func checkTag(k, v string) *APIError {
	if k == "" || len(k) > 128 || len(v) > 256 {
		return clientErr(CodeTag, "Tag keys must be 1 to 128 characters and tag values at most 256 characters.")
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return clientErr(CodeTag, "Tag keys beginning with aws: are reserved for AWS use: %s", k)
	}
	return nil
}

func (c *call) tagResource(body []byte) (any, *APIError) {
	var in tagResourceInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	tags := make([]tagKV, 0, len(in.Tags))
	for _, t := range in.Tags {
		tags = append(tags, tagKV{Key: str(t.TagKey), Value: str(t.TagValue)})
	}
	c.params = tagParams{KeyID: str(in.KeyId), Tags: trailTags(tags)}
	if in.Tags == nil {
		return nil, required("tags")
	}
	for _, t := range in.Tags {
		if t.TagKey == nil {
			return nil, required("tags.member.tagKey")
		}
		if t.TagValue == nil {
			return nil, required("tags.member.tagValue")
		}
		if e := checkTag(*t.TagKey, *t.TagValue); e != nil {
			return nil, e
		}
	}
	k, e := c.keyOp(in.KeyId, "kms:TagResource", false, false, nil, func(ctx *authz.Context) {
		keys := make([]string, 0, len(tags))
		for _, t := range tags {
			ctx.Set("aws:requesttag/"+t.Key, t.Value)
			keys = append(keys, t.Key)
		}
		if len(keys) > 0 {
			ctx.SetMulti("aws:tagkeys", keys...)
		}
	})
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "TagResource"); e != nil {
		return nil, e
	}
	_, e = c.update(k, func(n *key) *APIError {
		for _, t := range tags {
			replaced := false
			for i := range n.Tags {
				if n.Tags[i].Key == t.Key {
					n.Tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				n.Tags = append(n.Tags, t)
			}
		}
		if len(n.Tags) > maxTagsPerKey {
			return clientErr(CodeLimitExceeded, "A KMS key can have at most %d tags; this request would give it %d.", maxTagsPerKey, len(n.Tags))
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) untagResource(body []byte) (any, *APIError) {
	var in untagResourceInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = untagParams{KeyID: str(in.KeyId), TagKeys: in.TagKeys}
	if in.TagKeys == nil {
		return nil, required("tagKeys")
	}
	for _, tk := range in.TagKeys {
		if tk == "" || len(tk) > 128 {
			return nil, clientErr(CodeTag, "Tag keys must be 1 to 128 characters.")
		}
	}
	k, e := c.keyOp(in.KeyId, "kms:UntagResource", false, false, nil, func(ctx *authz.Context) {
		if len(in.TagKeys) > 0 {
			ctx.SetMulti("aws:tagkeys", in.TagKeys...)
		}
	})
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "UntagResource"); e != nil {
		return nil, e
	}
	_, e = c.update(k, func(n *key) *APIError {
		kept := n.Tags[:0]
		for _, t := range n.Tags {
			if !contains(in.TagKeys, t.Key) {
				kept = append(kept, t)
			}
		}
		n.Tags = kept
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) listResourceTags(body []byte) (any, *APIError) {
	var in listInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = listParams{KeyID: str(in.KeyId), Limit: in.Limit, Marker: str(in.Marker)}
	limit, e := listLimit(in.Limit, maxTagsPerKey)
	if e != nil {
		return nil, e
	}
	k, e := c.keyOp(in.KeyId, "kms:ListResourceTags", false, false, nil)
	if e != nil {
		return nil, e
	}
	start, e := markerStart(in.Marker, len(k.Tags))
	if e != nil {
		return nil, e
	}
	out := listResourceTagsOutput{Tags: []tagListEntry{}}
	for i := start; i < len(k.Tags) && len(out.Tags) < limit; i++ {
		out.Tags = append(out.Tags, tagListEntry{TagKey: k.Tags[i].Key, TagValue: k.Tags[i].Value})
	}
	if next := start + len(out.Tags); next < len(k.Tags) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}
