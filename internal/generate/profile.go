package generate

import (
	"slices"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/partition"
	"github.com/kmslint/kmslint/internal/profile"
	"github.com/kmslint/kmslint/internal/world"
)

// group is the legs one statement covers.
type group struct {
	actions []string
	via     string // the legs' common kms:ViaService prefix, "" when none or they differ
	viaSet  bool
	ec      bool // every leg carries the feature's encryption context
	ecSet   bool
}

func (g *group) add(l *profile.Leg, actions []string) {
	for _, a := range actions {
		if !slices.Contains(g.actions, a) {
			g.actions = append(g.actions, a)
		}
	}
	if !g.viaSet {
		g.via, g.viaSet = l.ViaService, true
	} else if g.via != l.ViaService {
		g.via = ""
	}
	if !g.ecSet {
		g.ec, g.ecSet = l.EncryptionContext, true
	} else {
		g.ec = g.ec && l.EncryptionContext
	}
}

func (g *group) action() any {
	if len(g.actions) == 1 {
		return g.actions[0]
	}
	return g.actions
}

// buildProfile writes the statements a feature's legs need, each as narrow
// as the leg's documented condition keys allow:
//   - the caller's and execution role's calls through the service are
//     pinned by kms:ViaService (set on every forward access session,
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service);
//   - their data-key calls by the feature's encryption context naming this
//     account's resources in this region;
//   - their CreateGrant by the constraint type, the operations (never
//     wider), kms:GrantIsForAWSResource and the context;
//   - the service principal's calls by aws:SourceAccount and aws:SourceArn
//     where AWS sends them, and by the encryption context where it does not
//     (a dataset's presigned download).
//
// Grant-based calls need no statement: the grant authorizes them.
func buildProfile(o Options, prof *profile.Profile) document {
	part := partition.Of(o.Region)
	pattern := prof.ResourceARN(o.Region, o.Account, "*")
	doc := document{Version: "2012-10-17", Statement: []statement{adminStatement(o, part)}}
	ecCond := func(g *group, cond map[string]any) {
		if g.ec {
			addCond(cond, "StringLike", prof.ConditionKey(), pattern)
		}
	}
	for _, who := range []profile.Who{profile.Caller, profile.ExecutionRole} {
		arns := o.Callers
		name := "Caller"
		if who == profile.ExecutionRole {
			arns, name = o.ExecutionRoles, "ExecutionRole"
		}
		if !prof.Needs(who) {
			continue
		}
		principal := map[string]any{"AWS": principalValue(sorted(arns))}
		var plain, crypto, grant group
		for i := range prof.Legs {
			l := &prof.Legs[i]
			if l.Who != who {
				continue
			}
			var ec, other []string
			for _, a := range l.Actions {
				if world.TakesEncryptionContext(a) && l.EncryptionContext {
					ec = append(ec, a)
				} else {
					other = append(other, a)
				}
			}
			switch {
			case l.Grant != nil:
				grant.add(l, l.Actions)
			default:
				if len(other) > 0 {
					plain.add(l, other)
				}
				if len(ec) > 0 {
					crypto.add(l, ec)
				}
			}
		}
		via := func(g *group, cond map[string]any) {
			if g.via != "" {
				addCond(cond, "StringEquals", "kms:ViaService", g.via+"."+o.Region+".amazonaws.com")
			}
		}
		if len(plain.actions) > 0 {
			cond := map[string]any{}
			via(&plain, cond)
			doc.Statement = append(doc.Statement, statement{Sid: "Allow" + name + "DescribeKey", Effect: "Allow",
				Principal: principal, Action: plain.action(), Resource: "*", Condition: nilIfEmpty(cond)})
		}
		if len(crypto.actions) > 0 {
			cond := map[string]any{}
			via(&crypto, cond)
			ecCond(&crypto, cond)
			doc.Statement = append(doc.Statement, statement{Sid: "Allow" + name + "CryptoOps", Effect: "Allow",
				Principal: principal, Action: crypto.action(), Resource: "*", Condition: nilIfEmpty(cond)})
		}
		if len(grant.actions) > 0 {
			cond := map[string]any{}
			via(&grant, cond)
			addCond(cond, "StringEquals", "kms:GrantConstraintType", grantConstraint(prof))
			// kms:GrantOperations is always in a CreateGrant request (the
			// operations are a required parameter); the Null check keeps
			// ForAllValues from passing were it absent.
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
			addCond(cond, "ForAllValues:StringEquals", "kms:GrantOperations", prof.GrantOperations())
			addCond(cond, "Null", "kms:GrantOperations", "false")
			addCond(cond, "Bool", "kms:GrantIsForAWSResource", "true")
			ecCond(&grant, cond)
			doc.Statement = append(doc.Statement, statement{Sid: "Allow" + name + "CreateGrant", Effect: "Allow",
				Principal: principal, Action: grant.action(), Resource: "*", Condition: cond})
		}
	}
	var keyed, keylessEC, keylessOther group
	for i := range prof.Legs {
		l := &prof.Legs[i]
		if l.Who != profile.Service && l.Who != profile.ServiceViaS3 {
			continue
		}
		if l.SourceKeys {
			keyed.add(l, l.Actions)
			continue
		}
		for _, a := range l.Actions {
			if world.TakesEncryptionContext(a) && l.EncryptionContext {
				keylessEC.add(l, []string{a})
			} else {
				keylessOther.add(l, []string{a})
			}
		}
	}
	service := map[string]any{"Service": prof.Service}
	if len(keyed.actions) > 0 {
		cond := map[string]any{}
		addCond(cond, "StringEquals", "aws:SourceAccount", o.Account)
		addCond(cond, "ArnLike", "aws:SourceArn", pattern)
		ecCond(&keyed, cond)
		doc.Statement = append(doc.Statement, statement{Sid: "AllowServicePrincipalAccess", Effect: "Allow",
			Principal: service, Action: keyed.action(), Resource: "*", Condition: cond})
	}
	if len(keylessEC.actions) > 0 {
		// AWS sends no source keys on these calls; the encryption context
		// is what keeps other accounts' resources out.
		cond := map[string]any{}
		ecCond(&keylessEC, cond)
		doc.Statement = append(doc.Statement, statement{Sid: "AllowServicePrincipalRead", Effect: "Allow",
			Principal: service, Action: keylessEC.action(), Resource: "*", Condition: nilIfEmpty(cond)})
	}
	if len(keylessOther.actions) > 0 {
		doc.Statement = append(doc.Statement, statement{Sid: "AllowServicePrincipalDescribeKey", Effect: "Allow",
			Principal: service, Action: keylessOther.action(), Resource: "*"})
	}
	return doc
}

func grantConstraint(prof *profile.Profile) string {
	for _, l := range prof.Legs {
		if l.Grant != nil {
			return l.Grant.ConstraintType
		}
	}
	return ""
}

func addCond(cond map[string]any, op, key string, value any) {
	m, ok := cond[op].(map[string]any)
	if !ok {
		m = map[string]any{}
		cond[op] = m
	}
	m[key] = value
}

func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// adminStatement keeps the key manageable: the named administrators, or the
// account root (IAM policies decide, AWS's default statement).
func adminStatement(o Options, part string) statement {
	if len(o.Admins) == 0 {
		return statement{
			Sid: "EnableIAMUserPermissions", Effect: "Allow",
			Principal: map[string]any{"AWS": "arn:" + part + ":iam::" + o.Account + ":root"},
			Action:    "kms:*", Resource: "*",
		}
	}
	return statement{
		Sid: "AllowKeyAdministration", Effect: "Allow",
		Principal: map[string]any{"AWS": principalValue(sorted(o.Admins))},
		Action:    adminActions, Resource: "*",
	}
}

// resourceName is the profile's noun in CamelCase ("BatchEvaluation") and
// snake_case ("batch_evaluation") for template resource names.
func resourceName(prof *profile.Profile) (string, string) {
	words := strings.Fields(prof.Noun)
	camel := make([]string, len(words))
	for i, w := range words {
		camel[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(camel, ""), strings.Join(words, "_")
}
