package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/partition"
	"github.com/kmslint/kmslint/internal/world"
)

// Env is where the feature's resources live; the recommendation model's
// environment (account, region, key, the other accounts and regions the
// policy names, the time of the requests).
type Env = agentcore.Env

// ResourceARN builds arn:<partition>:<ARNService>:R:A:<ResourceType>/<id>.
func (p *Profile) ResourceARN(region, account, id string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s/%s", partition.Of(region), p.ARNService, region, account, p.ResourceType, id)
}

// Request is one KMS request of a leg.
type Request struct {
	Leg string
	Who Who
	// Granted: a grant authorizes the request, not the key policy.
	Granted bool
	Request authz.Request
}

// Probe is a request the key policy must not allow.
type Probe struct {
	ID      string // stable, e.g. "caller-foreign-account"
	About   string
	Family  string // "caller-context", "service-deputy", "service-scope", "grant-scope"
	Who     Who
	Request authz.Request
}

// servicePrincipal is the principal of the service's own calls.
func (p *Profile) servicePrincipal() authz.Principal {
	return authz.Principal{Kind: authz.ServicePrincipal, ARN: p.Service}
}

// call is what varies between the requests of one leg: the action, the
// resource the encryption context names ("" none), the source keys, and
// for CreateGrant the grant.
type call struct {
	action         string
	ec             string
	srcAcct        string
	srcArn         string
	grantOps       []string
	constraintType string
}

// context builds the request context of a leg's call with world.Context,
// the model the prover and the fake KMS share.
func (p *Profile) context(env Env, l *Leg, pr authz.Principal, c call) *authz.Context {
	wc := world.Call{Principal: pr, Key: env.Key(), Action: c.action, Time: env.Now}
	switch l.Who {
	case Caller, ExecutionRole:
		if l.ViaService != "" {
			wc.Via = world.FAS
			wc.ViaService = l.ViaService + "." + env.Region + ".amazonaws.com"
			wc.CalledVia = []string{p.Service}
		}
	case Service, ServiceViaS3, Grantee:
		wc.SourceAccount, wc.SourceArn = c.srcAcct, c.srcArn
	}
	if c.ec != "" {
		wc.EncryptionContext = []world.Pair{{Key: p.ContextKey, Value: c.ec}}
	}
	if l.Who == ServiceViaS3 {
		// S3 calls KMS for SSE-KMS with the object's ARN added to the
		// context; kms:ViaService on that call is s3.REGION.amazonaws.com
		// [I: documented for IAM principals, assumed for a service's].
		// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
		if c.ec != "" {
			wc.EncryptionContext = append(wc.EncryptionContext, world.Pair{Key: "aws:s3:arn",
				Value: "arn:" + partition.Of(env.Region) + ":s3:::amzn-s3-demo-bucket/" + p.ResourceType + "/object"})
		}
		wc.Extra = append(wc.Extra, world.KV{Key: "kms:ViaService", Value: authz.Value{Values: []string{l.ViaService + "." + env.Region + ".amazonaws.com"}}})
	}
	if strings.EqualFold(c.action, createGrant) {
		wc.Extra = append(wc.Extra, world.KV{Key: "kms:GrantOperations", Value: authz.Value{Values: c.grantOps, Multi: true}})
		if c.constraintType != "" {
			wc.Extra = append(wc.Extra, world.KV{Key: "kms:GrantConstraintType", Value: authz.Value{Values: []string{c.constraintType}}})
		}
		if l.ViaService != "" {
			// https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
			wc.Extra = append(wc.Extra, world.KV{Key: "kms:GrantIsForAWSResource", Value: authz.Value{Values: []string{"true"}}})
		}
	}
	ctx := world.Context(wc)
	// The caller's unique id is unknown (a made-up one would decide an
	// aws:userid condition by accident), and the recommendation model has
	// never set aws:username; both stay out, as in internal/agentcore.
	ctx.Delete("aws:userid")
	ctx.Delete("aws:username")
	// The requests are for the environment's region (internal/agentcore).
	ctx.Set("aws:RequestedRegion", env.Region)
	return ctx
}

// Requests are the requests of the legs of kind w made by principal (the
// caller's or role's session; ignored for the service's legs) for the
// resource res, in the order of the legs.
func (p *Profile) Requests(env Env, w Who, principal authz.Principal, res string) []Request {
	if w == Service || w == ServiceViaS3 || w == Grantee {
		principal = p.servicePrincipal()
	}
	var out []Request
	for i := range p.Legs {
		l := &p.Legs[i]
		if l.Who != w {
			continue
		}
		for _, a := range l.Actions {
			c := call{action: a}
			if l.EncryptionContext && world.TakesEncryptionContext(a) {
				c.ec = res
			}
			if l.SourceKeys {
				c.srcAcct, c.srcArn = env.Account, res
			}
			if l.Grant != nil {
				c.grantOps, c.constraintType = l.Grant.Operations, l.Grant.ConstraintType
			}
			name := l.Name
			if len(l.Actions) > 1 {
				name += " (" + strings.TrimPrefix(a, "kms:") + ")"
			}
			out = append(out, Request{Leg: name, Who: w, Granted: w == Grantee,
				Request: authz.Request{Principal: principal, Action: a, Resource: env.Key(), Context: p.context(env, l, principal, c)}})
		}
	}
	return out
}

// ecActions are the distinct actions taking an encryption context of the
// non-grant legs matching keep: GenerateDataKey and Decrypt first (the
// recommendation model's order), the rest in leg order.
func (p *Profile) ecActions(keep func(*Leg) bool) []string {
	var seen []string
	for i := range p.Legs {
		l := &p.Legs[i]
		if !keep(l) || l.Grant != nil {
			continue
		}
		for _, a := range l.Actions {
			if world.TakesEncryptionContext(a) && !slices.Contains(seen, a) {
				seen = append(seen, a)
			}
		}
	}
	var out []string
	for _, a := range []string{generateDataKey, decrypt} {
		if slices.Contains(seen, a) {
			out = append(out, a)
		}
	}
	for _, a := range seen {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// firstLeg is the first leg matching keep.
func (p *Profile) firstLeg(keep func(*Leg) bool) *Leg {
	for i := range p.Legs {
		if keep(&p.Legs[i]) {
			return &p.Legs[i]
		}
	}
	return nil
}

func (p *Profile) otherResource(env Env, suffix string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:runtime/other%s", partition.Of(env.Region), p.ARNService, env.Region, env.Account, suffix)
}

// Probes are the requests principal must not be able to make: for a
// caller or an execution role, data keys without the feature's context or
// for another account's, region's or resource type's resource, and grants
// wider than the feature's; for the service principal, calls on behalf of
// someone else (confused deputy) or with a scoping key missing.
func (p *Profile) Probes(env Env, w Who, principal authz.Principal) []Probe {
	switch w {
	case Caller, ExecutionRole:
		return append(p.contextProbes(env, w, principal), p.grantProbes(env, w, principal)...)
	case Service:
		return p.serviceProbes(env)
	}
	return nil
}

func (p *Profile) prefix(w Who) string {
	if w == ExecutionRole {
		return "role-"
	}
	return "caller-"
}

func (p *Profile) contextProbes(env Env, w Who, principal authz.Principal) []Probe {
	of := func(l *Leg) bool { return l.Who == w && l.EncryptionContext }
	tmpl := p.firstLeg(func(l *Leg) bool { return of(l) && l.Grant == nil })
	if tmpl == nil {
		return nil
	}
	type probe struct{ id, about, res string }
	var out []Probe
	for _, action := range p.ecActions(of) {
		verb := strings.TrimPrefix(action, "kms:")
		ps := []probe{{"no-context", verb + " with no encryption context", ""}}
		// The first foreign account and region keep the plain ids; the
		// ones the policy names get theirs as a suffix.
		for i, a := range env.ForeignAccounts() {
			ps = append(ps, probe{suffixed("foreign-account", a, i), verb + " for a " + p.Noun + " of account " + a, p.ResourceARN(env.Region, a, p.SampleID)})
		}
		for i, r := range env.ForeignRegions() {
			ps = append(ps, probe{suffixed("foreign-region", r, i), verb + " for a " + p.Noun + " in " + r, p.ResourceARN(r, env.Account, p.SampleID)})
		}
		ps = append(ps, probe{"other-resource", verb + " with the context naming a non-" + p.Noun + " resource", p.otherResource(env, "")})
		for _, pb := range ps {
			out = append(out, Probe{ID: p.prefix(w) + pb.id, About: pb.about, Family: "caller-context", Who: w,
				Request: authz.Request{Principal: principal, Action: action, Resource: env.Key(),
					Context: p.context(env, tmpl, principal, call{action: action, ec: pb.res})}})
		}
	}
	return out
}

// grantOperations are the operations a grant can allow; a probe adds each
// one the feature does not use to its grants.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
var grantOperations = []string{
	"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
	"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "CreateGrant", "RetireGrant", "DescribeKey",
	"Sign", "Verify", "GetPublicKey", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
}

func (p *Profile) grantProbes(env Env, w Who, principal authz.Principal) []Probe {
	tmpl := p.firstLeg(func(l *Leg) bool { return l.Who == w && l.Grant != nil })
	if tmpl == nil {
		return nil
	}
	ops := p.GrantOperations()
	ct := tmpl.Grant.ConstraintType
	own := p.ResourceARN(env.Region, env.Account, p.SampleID)
	mk := func(id, about string, c call) Probe {
		c.action = createGrant
		return Probe{ID: p.prefix(w) + "grant-" + id, About: about, Family: "grant-scope", Who: w,
			Request: authz.Request{Principal: principal, Action: createGrant, Resource: env.Key(), Context: p.context(env, tmpl, principal, c)}}
	}
	var out []Probe
	for _, op := range grantOperations {
		if slices.Contains(ops, op) {
			continue
		}
		out = append(out, mk("wider-operations-"+op, "CreateGrant for "+strings.Join(ops, ", ")+" and "+op,
			call{ec: own, grantOps: append(slices.Clone(ops), op), constraintType: ct}))
	}
	out = append(out, mk("no-constraint", "CreateGrant without an encryption-context constraint", call{grantOps: ops}))
	for i, a := range env.ForeignAccounts() {
		out = append(out, mk(suffixed("foreign-account", a, i), "CreateGrant constrained to a "+p.Noun+" of account "+a,
			call{ec: p.ResourceARN(env.Region, a, p.SampleID), grantOps: ops, constraintType: ct}))
	}
	for i, r := range env.ForeignRegions() {
		out = append(out, mk(suffixed("foreign-region", r, i), "CreateGrant constrained to a "+p.Noun+" in "+r,
			call{ec: p.ResourceARN(r, env.Account, p.SampleID), grantOps: ops, constraintType: ct}))
	}
	out = append(out, mk("other-resource", "CreateGrant constrained to a non-"+p.Noun+" resource",
		call{ec: p.otherResource(env, ""), grantOps: ops, constraintType: ct}))
	return out
}

// serviceProbes are the recommendation model's confused-deputy probes
// (internal/agentcore.ServiceProbes) over the profile's service legs. An
// action some required leg makes without source keys (a dataset's
// presigned download) cannot be pinned by them: its probes that name this
// account's resource in the context would be the leg itself, so they give
// way to probes with another account's or region's resource and no source
// keys, which the encryption context must stop.
func (p *Profile) serviceProbes(env Env) []Probe {
	svcLeg := func(l *Leg) bool { return l.Who == Service || l.Who == ServiceViaS3 }
	withKeys := func(l *Leg) bool { return svcLeg(l) && l.SourceKeys }
	svc := p.servicePrincipal()
	own := p.ResourceARN(env.Region, env.Account, p.SampleID)
	nonRes := p.otherResource(env, "-AB1CD2EF3G")
	type probe struct{ id, about, family, acct, arn, ec string }
	var out []Probe
	emit := func(l *Leg, action string, ps []probe) {
		for _, pb := range ps {
			out = append(out, Probe{ID: "service-" + pb.id, About: pb.about, Family: pb.family, Who: Service,
				Request: authz.Request{Principal: svc, Action: action, Resource: env.Key(),
					Context: p.context(env, l, svc, call{action: action, ec: pb.ec, srcAcct: pb.acct, srcArn: pb.arn})}})
		}
	}
	for _, action := range p.ecActions(withKeys) {
		verb := strings.TrimPrefix(action, "kms:")
		tmpl := p.firstLeg(func(l *Leg) bool { return withKeys(l) && slices.Contains(l.Actions, action) })
		keyless := p.firstLeg(func(l *Leg) bool {
			return svcLeg(l) && !l.SourceKeys && slices.Contains(l.Actions, action)
		}) != nil
		var ps []probe
		for i, a := range env.ForeignAccounts() {
			foreign := p.ResourceARN(env.Region, a, p.SampleID)
			ps = append(ps,
				probe{suffixed("foreign-account", a, i), verb + " for a " + p.Noun + " of account " + a, "service-deputy", a, foreign, foreign},
				probe{suffixed("foreign-account-no-arn", a, i), verb + " with aws:SourceAccount " + a + " and no aws:SourceArn", "service-deputy", a, "", foreign},
				probe{suffixed("foreign-arn-no-account", a, i), verb + " with aws:SourceArn of account " + a + " and no aws:SourceAccount", "service-deputy", "", foreign, foreign},
			)
		}
		if !keyless {
			ps = append(ps,
				probe{"non-" + strings.ReplaceAll(p.Noun, " ", "-") + "-arn", verb + " for a non-" + p.Noun + " resource of this account", "service-deputy", env.Account, nonRes, own},
				probe{"no-source-keys", verb + " with neither aws:SourceAccount nor aws:SourceArn", "service-deputy", "", "", own},
				probe{"no-source-arn", verb + " with aws:SourceAccount " + env.Account + " but no aws:SourceArn", "service-scope", env.Account, "", own},
				probe{"no-source-account", verb + " with a " + p.Noun + " aws:SourceArn but no aws:SourceAccount", "service-scope", "", own, own},
			)
		}
		emit(tmpl, action, ps)
	}
	for _, action := range p.ecActions(func(l *Leg) bool { return svcLeg(l) && !l.SourceKeys }) {
		verb := strings.TrimPrefix(action, "kms:")
		tmpl := p.firstLeg(func(l *Leg) bool { return svcLeg(l) && !l.SourceKeys && slices.Contains(l.Actions, action) })
		var ps []probe
		for i, a := range env.ForeignAccounts() {
			ps = append(ps, probe{suffixed("no-source-keys-foreign-account", a, i), verb + " without source keys for a " + p.Noun + " of account " + a,
				"service-deputy", "", "", p.ResourceARN(env.Region, a, p.SampleID)})
		}
		for i, r := range env.ForeignRegions() {
			ps = append(ps, probe{suffixed("no-source-keys-foreign-region", r, i), verb + " without source keys for a " + p.Noun + " in " + r,
				"service-deputy", "", "", p.ResourceARN(r, env.Account, p.SampleID)})
		}
		ps = append(ps, probe{"no-source-keys-no-context", verb + " with neither source keys nor encryption context", "service-deputy", "", "", ""})
		emit(tmpl, action, ps)
	}
	return out
}

// suffixed is id for the first of a list of probes, id-value for the rest.
func suffixed(id, value string, i int) string {
	if i == 0 {
		return id
	}
	return id + "-" + value
}
