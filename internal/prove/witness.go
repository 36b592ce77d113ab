package prove

import (
	"strconv"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/world"
)

// prefs are readable witnesses tried before a class's shortest string:
// the first that falls in the class is used.
func (s *space) prefs() map[*strVar][]string {
	acct := []string{"444455556666", "999988887777", "210987654321", "135792468024"}
	return map[*strVar][]string{
		s.sv(s.pA):                acct,
		s.sv(s.pSA):               acct,
		s.sv(s.pRName):            {"kmslint-probe"},
		s.sv(s.pSession):          {"kmslint"},
		s.sv(s.pUName):            {"kmslint-probe"},
		s.sv(s.pFName):            {"kmslint"},
		s.sv(s.pRoleID):           {"AROAKMSLINTEXAMPLE"},
		s.sv(s.pUserID):           {"AIDAKMSLINTEXAMPLE"},
		s.sv(s.pSSvc):             {"bedrock-agentcore"},
		s.sv(s.pSReg):             {s.region},
		s.sv(s.pSRes):             {"recommendation/kmslint-probe"},
		s.sv(s.pVS):               {"s3." + s.region + ".amazonaws.com"},
		s.sCVE:                    {"s3.amazonaws.com"},
		s.sv(s.vars[s.vOrg].elem): {"o-kmslintexample"},
	}
}

func (s *space) strWitness(sv *strVar, cl int) string {
	c := &sv.classes[cl]
	if c.chosen || sv.err != nil {
		return c.witness
	}
	c.chosen = true
	for _, ps := range [][]string{s.pref[sv], sv.seeds} {
		for _, p := range ps {
			if sv.classOf(p) == cl {
				c.witness = p
				return p
			}
		}
	}
	return c.witness
}

// witness is variable av's value under class cl, as a string.
func (s *space) witness(av, cl int) string {
	v := s.vars[av]
	if v.kind == vkScalar {
		return v.sc.classes[cl].witness
	}
	return s.strWitness(v.sv, cl)
}

// value is v's value under a, choosing (and recording) the first value of
// its domain when v is unassigned: the variables a request is built from
// get values only when the request reads them.
func (s *space) value(a *assign, v int) int {
	if x := a.val[v]; x >= 0 {
		return int(x)
	}
	for _, d := range s.vars[v].deps {
		s.value(a, d)
	}
	s.prepare(v)
	x := 0
	if vals := s.vars[v].values(a); len(vals) > 0 {
		x = vals[0]
	}
	a.val[v] = int32(x)
	return x
}

// call builds the request of an assignment, giving the variables it reads
// and a leaves open their first values.
func (s *space) call(a *assign) world.Call {
	val := func(v int) int { return s.value(a, v) }
	w := func(av int) string { return s.witness(av, val(av)) }
	kind := s.kinds[val(s.vKind)]
	c := world.Call{Key: s.keyARN, Action: s.actions[val(s.vAction)]}
	P, A := s.partition, w(s.pA)
	switch kind {
	case authz.AccountRoot:
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:" + P + ":iam::" + A + ":root", Partition: P, Account: A}
	case authz.IAMUser:
		name := w(s.pUName)
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:" + P + ":iam::" + A + ":user" + w(s.pUPath) + name, Partition: P, Account: A, UserName: name}
		c.UserID = w(s.pUserID)
	case authz.AssumedRole:
		role := w(s.pRName)
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:" + P + ":sts::" + A + ":assumed-role/" + role + "/" + w(s.pSession), Partition: P, Account: A, RoleName: role, RolePath: w(s.pRPath)}
		c.UserID = w(s.pRoleID)
	case authz.FederatedUser:
		name := w(s.pFName)
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:" + P + ":sts::" + A + ":federated-user/" + name, Partition: P, Account: A, UserName: name}
	case authz.ServicePrincipal:
		c.Principal = authz.Principal{Kind: kind, ARN: w(s.pSvc)}
	default:
		c.Principal = authz.Principal{Kind: authz.Anonymous, ARN: "anonymous"}
	}
	if world.IAM(kind) {
		if val(s.vVia) == 1 {
			c.Via = world.FAS
			c.ViaService = w(s.pVS)
			if st := s.vars[s.vCV].states[val(s.vCV)]; st.present {
				c.CalledVia = []string{}
				for _, cl := range st.set {
					c.CalledVia = append(c.CalledVia, s.strWitness(s.sCVE, cl))
				}
				c.CalledViaFirst = s.strWitness(s.sCVE, val(s.vCVF))
				c.CalledViaLast = s.strWitness(s.sCVE, val(s.vCVL))
			}
		}
		org := s.vars[s.vOrg]
		if org.states[val(s.vOrg)].present {
			c.OrgID = w(org.elem)
			if st := s.vars[s.vOrgPaths].states[val(s.vOrgPaths)]; st.present {
				c.OrgPaths = []string{}
				for _, cl := range st.set {
					c.OrgPaths = append(c.OrgPaths, s.witness(s.vars[s.vOrgPaths].elem, cl))
				}
			}
		}
	}
	if kind == authz.ServicePrincipal {
		if val(s.vSrcAcct) == 1 {
			c.SourceAccount = w(s.pSA)
		}
		switch val(s.vSrcArn) {
		case 1:
			c.SourceArn = "arn:" + P + ":" + w(s.pSSvc) + ":" + w(s.pSReg) + ":" + w(s.pSA) + ":" + w(s.pSRes)
		case 2:
			c.SourceArn = "arn:" + P + ":" + w(s.pSSvc) + ":" + w(s.pSReg) + "::" + w(s.pSRes)
		}
	}
	if s.timeRead {
		if n, err := strconv.ParseInt(w(s.vTime), 10, 64); err == nil {
			c.Time = time.Unix(n, 0).UTC()
		}
	}
	if world.TakesEncryptionContext(c.Action) {
		s.encryptionContext(a, &c)
	}
	for _, k := range s.freeKeys() {
		v := s.vars[s.free[k]]
		st := v.states[val(s.free[k])]
		switch {
		case !st.present:
		case !st.multi:
			c.Extra = append(c.Extra, world.KV{Key: s.spelling[k], Value: authz.Value{Values: []string{w(v.elem)}}})
		default:
			vals := []string{}
			for _, cl := range st.set {
				vals = append(vals, s.witness(v.elem, cl))
			}
			c.Extra = append(c.Extra, world.KV{Key: s.spelling[k], Value: authz.Value{Values: vals, Multi: true}})
		}
	}
	return c
}

// encryptionContext adds the pairs: each present key under the spelling
// kms:EncryptionContextKeys gives it (or the policy's), and a pair for each
// key only kms:EncryptionContextKeys names.
func (s *space) encryptionContext(a *assign, c *world.Call) {
	eck := s.vars[s.vECK].states[s.value(a, s.vECK)]
	spelled := map[int]bool{}
	for _, e := range s.ecKeys() {
		st := s.vars[e.state].states[s.value(a, e.state)]
		if !st.present {
			continue
		}
		name := e.name
		for _, cl := range eck.set {
			if s.sECKE.classes[cl].sig.has(e.foldLang) {
				name = s.strWitness(s.sECKE, cl)
				spelled[cl] = true
			}
		}
		elem := s.vars[e.state].elem
		c.EncryptionContext = append(c.EncryptionContext, world.Pair{Key: name, Value: s.witness(elem, s.value(a, elem))})
	}
	for _, cl := range eck.set {
		if !spelled[cl] {
			c.EncryptionContext = append(c.EncryptionContext, world.Pair{Key: s.strWitness(s.sECKE, cl), Value: "kmslint"})
		}
	}
	c.EmptyKeys = eck.present && len(c.EncryptionContext) == 0
}
