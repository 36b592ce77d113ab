package prove

import (
	"slices"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// Domains of the request's string unknowns (IAM's identifier rules):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
func repeat(t tok, n int) []tok {
	out := make([]tok, n)
	for i := range out {
		out[i] = t
	}
	return out
}

func plus(p pred) []tok { return []tok{{p: p}, {p: p, star: true}} }

var (
	domAccount = repeat(tok{p: pDigit}, 12)
	domName    = plus(pName)
	domSession = append([]tok{{p: pName}}, plus(pName)...)
	domPathOne = litToks(nil, "/", false)
	domPath    = append(litToks(nil, "/", false), tok{p: pPath, star: true}, tok{p: pLit, r: '/'})
	domRoleID  = append(litToks(nil, "AROA", false), plus(pID)...)
	domUserID  = append(litToks(nil, "AIDA", false), plus(pID)...)
	domHost    = plus(pHost)
	domLabel   = plus(pLabel)
	domLabel0  = []tok{{p: pLabel, star: true}}
	domOrg     = append(litToks(nil, "o-", false), plus(pLabel)...)
	domAnyNE   = plus(pAny)
	domTrue    = litToks(nil, "true", false)
	domFalse   = litToks(nil, "false", false)
)

// shape is how a key's value is made under one principal kind and way of
// calling.
type shape uint8

const (
	shAbsent shape = iota
	shTerm         // a single value built from variables (a term)
	shState        // a key-state variable: absent, single or multivalued
	shElem         // a single value: the class of one variable
	shSwitch       // depends on an enum variable: one model per value
	shX            // not modelled: tests on it are undecided
)

// km is a key's model.
type km struct {
	sh    shape
	guard expr // the key is present only where guard holds; nil: always
	t     term
	state int // shState
	elem  int // shElem
	sw    int // shSwitch
	cases []km
	why   string // shX
}

// ecKey is a kms:EncryptionContext:KEY condition key.
type ecKey struct {
	name     string // as first written, the spelling a witness uses
	state    int
	foldLang int // the language of its spellings, on the ECKeys element variable
	hasFold  bool
}

// space holds the search's variables and the request model over them.
type space struct {
	vars []*variable

	keyARN, partition, region, keyAccount string
	kinds                                 []authz.PrincipalKind
	actions                               []string

	vKind, vAction, vVia int
	// The principal's parts.
	pA, pRName, pRPath, pSession, pUName, pUPath, pFName, pRoleID, pUserID, pSvc int
	// A service principal's source resource.
	vSrcAcct, vSrcArn, pSA, pSSvc, pSReg, pSRes int
	// Forward access sessions.
	pVS, vCV, vCVF, vCVL int
	sCVE                 *strVar
	// The organization.
	vOrg, vOrgPaths int
	vTime           int
	// The encryption context.
	ec    map[string]*ecKey
	vECK  int
	sECKE *strVar
	// Free keys: key-state variables.
	free map[string]int
	// families are the operator families each key is compared with, found
	// before the variables are made.
	families map[string]map[family]bool
	// setOps counts set-operator conditions per key-state variable: the
	// largest value sets worth trying.
	setOps map[int]map[*policy.Condition]bool
	// spelling: a free key's name as the policy first wrote it.
	spelling map[string]string
	pref     map[*strVar][]string
	finished bool
	// timeRead: a condition reads the time, so requests carry it.
	timeRead bool
	// The current question's kinds and actions (value indices) and way of
	// calling.
	qKinds, qActions []int
	qVia             string
	// varConds are the conditions whose values hold policy variables the
	// prover does not model: a request it replays may be repaired by
	// giving the key the variable's value (search.repair).
	varConds []*policy.Condition
}

// family groups operators by the domain they compare in.
type family uint8

const (
	famString family = iota
	famNumber
	famDate
	famIP
	famBinary
)

func familyOf(op authz.Operator) (family, bool) {
	switch {
	case op.IsNull():
		return 0, false
	case strings.HasPrefix(op.Base, "Numeric"):
		return famNumber, true
	case strings.HasPrefix(op.Base, "Date"):
		return famDate, true
	case op.Base == "IpAddress" || op.Base == "NotIpAddress":
		return famIP, true
	case op.Base == "BinaryEquals":
		return famBinary, true
	}
	return famString, true
}

func (s *space) add(v *variable) int {
	s.vars = append(s.vars, v)
	return len(s.vars) - 1
}

func (s *space) strVar(name string, dom ...[]tok) int {
	return s.add(&variable{name: name, kind: vkStr, sv: newStrVar(name, dom...)})
}

func (s *space) sv(av int) *strVar { return s.vars[av].sv }

// newSpace makes the request model's fixed variables for the requests on
// key keyARN. The principal kinds are world.Kinds and the actions those
// questions name, as they come; each question narrows both (setQuestion).
func newSpace(keyARN string) *space {
	s := &space{
		keyARN: keyARN, partition: world.Partition(keyARN), region: world.Region(keyARN), keyAccount: world.Account(keyARN),
		kinds: world.Kinds,
		ec:    map[string]*ecKey{}, free: map[string]int{}, families: map[string]map[family]bool{}, setOps: map[int]map[*policy.Condition]bool{},
		spelling: map[string]string{},
	}
	s.vKind = s.add(&variable{name: "principal kind", kind: vkEnum, n: len(s.kinds), domain: func(*assign) []int { return s.qKinds }})
	s.vAction = s.add(&variable{name: "action", kind: vkEnum, domain: func(*assign) []int { return s.qActions }})
	s.vVia = s.add(&variable{name: "via", kind: vkEnum, n: 2, deps: []int{s.vKind}, domain: func(a *assign) []int {
		k := s.kinds[a.val[s.vKind]]
		switch {
		case !world.IAM(k) || s.qVia == "direct":
			return []int{0}
		case s.qVia == "fas":
			return []int{1}
		}
		return []int{0, 1}
	}})
	s.pA = s.strVar("account", domAccount)
	s.pRName = s.strVar("role name", domName)
	s.pRPath = s.strVar("role path", domPathOne, domPath)
	s.pSession = s.strVar("session name", domSession)
	s.pUName = s.strVar("user name", domName)
	s.pUPath = s.strVar("user path", domPathOne, domPath)
	s.pFName = s.strVar("federated user name", domSession)
	s.pRoleID = s.strVar("role id", domRoleID)
	s.pUserID = s.strVar("user id", domUserID)
	s.pSvc = s.strVar("service principal", domHost)
	s.vSrcAcct = s.add(&variable{name: "aws:SourceAccount present", kind: vkEnum, n: 2})
	s.vSrcArn = s.add(&variable{name: "aws:SourceArn form", kind: vkEnum, n: 3})
	s.pSA = s.strVar("source account", domAccount)
	s.pSSvc = s.strVar("source service", domLabel)
	s.pSReg = s.strVar("source region", domLabel0)
	s.pSRes = s.strVar("source resource", nil)
	s.pVS = s.strVar("kms:ViaService", domHost)
	s.sCVE = newStrVar("aws:CalledVia service", domHost)
	s.vCV = s.add(&variable{name: "aws:CalledVia", kind: vkState, elem: -1})
	member := func(a *assign) []int {
		st := s.vars[s.vCV].states[a.val[s.vCV]]
		if !st.present {
			return []int{0}
		}
		return st.set
	}
	s.vCVF = s.add(&variable{name: "aws:CalledViaFirst", kind: vkStr, sv: s.sCVE, deps: []int{s.vCV}, domain: member})
	s.vCVL = s.add(&variable{name: "aws:CalledViaLast", kind: vkStr, sv: s.sCVE, deps: []int{s.vCV}, domain: member})
	orgAV := s.strVar("aws:PrincipalOrgID", domOrg)
	s.vOrg = s.add(&variable{name: "aws:PrincipalOrgID", kind: vkState, elem: orgAV})
	s.vOrgPaths = s.add(&variable{name: "aws:PrincipalOrgPaths", kind: vkState, elem: s.strVar("organization path", nil), deps: []int{s.vOrg}})
	s.vars[s.vOrgPaths].domain = func(a *assign) []int {
		if !s.vars[s.vOrg].states[a.val[s.vOrg]].present {
			return []int{0}
		}
		return rangeFrom(1, len(s.vars[s.vOrgPaths].states))
	}
	s.vTime = s.add(&variable{name: "time", kind: vkScalar, sc: &scalarVar{name: "time", kind: skTime, valid: true}})
	s.sECKE = newStrVar("encryption-context key", domAnyNE)
	s.vECK = s.add(&variable{name: "kms:EncryptionContextKeys", kind: vkState, elem: -1})
	return s
}

func rangeFrom(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// kindIndex is the enum value of kind k, -1 when the question leaves it out.
func (s *space) kindIndex(k authz.PrincipalKind) int {
	for i, x := range s.kinds {
		if x == k {
			return i
		}
	}
	return -1
}

// takesEC holds where the action carries an encryption context.
func (s *space) takesEC() expr {
	return func(a *assign) tri {
		x, ok := a.get(s.vAction)
		if !ok {
			return tU
		}
		return triOf(world.TakesEncryptionContext(s.actions[x]))
	}
}

// setQuestion narrows the kinds, actions and way of calling to a
// question's region, adding the actions the space has not seen.
func (s *space) setQuestion(r Region) {
	s.qKinds = s.qKinds[:0]
	for _, k := range r.kinds() {
		s.qKinds = append(s.qKinds, s.kindIndex(k))
	}
	s.qActions = s.qActions[:0]
	for _, a := range r.Actions {
		i := slices.Index(s.actions, a)
		if i < 0 {
			s.actions = append(s.actions, a)
			i = len(s.actions) - 1
		}
		if !slices.Contains(s.qActions, i) {
			s.qActions = append(s.qActions, i)
		}
	}
	s.vars[s.vAction].n = len(s.actions)
	s.qVia = r.Via
}

// principal terms, per kind.
func (s *space) arnTerm(k authz.PrincipalKind) term {
	A := tvar(s.pA, s.sv(s.pA))
	p := "arn:" + s.partition
	switch k {
	case authz.AccountRoot:
		return term{lit(p + ":iam::"), A, lit(":root")}
	case authz.IAMUser:
		return term{lit(p + ":iam::"), A, lit(":user"), tvar(s.pUPath, s.sv(s.pUPath)), tvar(s.pUName, s.sv(s.pUName))}
	case authz.AssumedRole:
		return term{lit(p + ":sts::"), A, lit(":assumed-role/"), tvar(s.pRName, s.sv(s.pRName)), lit("/"), tvar(s.pSession, s.sv(s.pSession))}
	case authz.FederatedUser:
		return term{lit(p + ":sts::"), A, lit(":federated-user/"), tvar(s.pFName, s.sv(s.pFName))}
	}
	return nil
}

func (s *space) principalArnTerm(k authz.PrincipalKind) term {
	if k == authz.AssumedRole {
		return term{lit("arn:" + s.partition + ":iam::"), tvar(s.pA, s.sv(s.pA)), lit(":role"), tvar(s.pRPath, s.sv(s.pRPath)), tvar(s.pRName, s.sv(s.pRName))}
	}
	return s.arnTerm(k)
}

func (s *space) useridTerm(k authz.PrincipalKind) term {
	A := tvar(s.pA, s.sv(s.pA))
	switch k {
	case authz.AccountRoot:
		return term{A}
	case authz.IAMUser:
		return varTerm(s.pUserID, s.sv(s.pUserID))
	case authz.AssumedRole:
		return term{tvar(s.pRoleID, s.sv(s.pRoleID)), lit(":"), tvar(s.pSession, s.sv(s.pSession))}
	case authz.FederatedUser:
		return term{A, lit(":"), tvar(s.pFName, s.sv(s.pFName))}
	}
	return nil
}

func absent() km           { return km{sh: shAbsent} }
func constant(v string) km { return km{sh: shTerm, t: litTerm(v)} }

// model is how key k (lower-cased) is made for a principal of kind k
// calling the way via says, following internal/world.
func (s *space) model(key string, kind authz.PrincipalKind, via world.Via) km {
	iam := world.IAM(kind)
	svc := kind == authz.ServicePrincipal
	if e, ok := world.ECKey(key); ok {
		if sp, ok := world.ECKey(s.spelling[key]); ok {
			e = sp
		}
		st := s.ecState(strings.ToLower(e), e)
		return km{sh: shState, state: st, guard: s.takesEC()}
	}
	switch key {
	case "aws:securetransport":
		return constant("true")
	case "aws:requestedregion":
		if s.region == "" {
			break
		}
		return constant(s.region)
	case "aws:currenttime", "aws:epochtime":
		s.timeRead = true
		return km{sh: shElem, elem: s.vTime}
	case "kms:calleraccount", "aws:principalaccount":
		if iam {
			return km{sh: shTerm, t: varTerm(s.pA, s.sv(s.pA))}
		}
		return absent()
	case "aws:principalarn":
		if iam {
			return km{sh: shTerm, t: s.principalArnTerm(kind)}
		}
		return absent()
	case "aws:principaltype":
		if iam {
			return constant(world.PrincipalType(kind))
		}
		return absent()
	case "aws:userid":
		if iam {
			return km{sh: shTerm, t: s.useridTerm(kind)}
		}
		return absent()
	case "aws:username":
		if kind == authz.IAMUser {
			return km{sh: shTerm, t: varTerm(s.pUName, s.sv(s.pUName))}
		}
		return absent()
	case "aws:principalisawsservice":
		switch {
		case iam:
			return constant("false")
		case svc:
			return constant("true")
		}
		return absent()
	case "aws:principalservicename":
		if svc {
			return km{sh: shTerm, t: varTerm(s.pSvc, s.sv(s.pSvc))}
		}
		return absent()
	case "aws:viaawsservice":
		if iam && via == world.FAS {
			return constant("true")
		}
		return constant("false")
	case "kms:viaservice":
		if iam && via == world.FAS {
			return km{sh: shTerm, t: varTerm(s.pVS, s.sv(s.pVS))}
		}
		return absent()
	case "aws:calledvia":
		if iam && via == world.FAS {
			return km{sh: shState, state: s.vCV}
		}
		return absent()
	case "aws:calledviafirst", "aws:calledvialast":
		if iam && via == world.FAS {
			av := s.vCVF
			if key == "aws:calledvialast" {
				av = s.vCVL
			}
			return km{sh: shElem, elem: av, guard: func(a *assign) tri {
				st, ok := a.get(s.vCV)
				if !ok {
					return tU
				}
				return triOf(s.vars[s.vCV].states[st].present)
			}}
		}
		return absent()
	case "aws:sourceaccount":
		if svc {
			return km{sh: shTerm, t: varTerm(s.pSA, s.sv(s.pSA)), guard: eqExpr(s.vSrcAcct, 1)}
		}
		return absent()
	case "aws:sourcearn":
		if svc {
			pre := "arn:" + s.partition + ":"
			parts := func(acct []termPart) term {
				t := term{lit(pre), tvar(s.pSSvc, s.sv(s.pSSvc)), lit(":"), tvar(s.pSReg, s.sv(s.pSReg)), lit(":")}
				t = append(t, acct...)
				return append(t, lit(":"), tvar(s.pSRes, s.sv(s.pSRes)))
			}
			return km{sh: shSwitch, sw: s.vSrcArn, cases: []km{
				absent(),
				{sh: shTerm, t: parts([]termPart{tvar(s.pSA, s.sv(s.pSA))})},
				{sh: shTerm, t: parts(nil)},
			}}
		}
		return absent()
	case "aws:principalorgid":
		if iam {
			return km{sh: shState, state: s.vOrg}
		}
		return absent()
	case "aws:principalorgpaths":
		if iam {
			return km{sh: shState, state: s.vOrgPaths}
		}
		return absent()
	case "kms:encryptioncontextkeys":
		return km{sh: shState, state: s.vECK, guard: s.takesEC()}
	case "aws:principalservicenameslist":
		if svc {
			return km{sh: shX, why: "aws:PrincipalServiceNamesList (which names a service has is not modelled)"}
		}
		return absent()
	}
	if !world.Carried(key) {
		return absent()
	}
	if world.KeySet(key) == world.Derived {
		return km{sh: shX, why: key + " is set by AWS in a way kmslint does not model"}
	}
	return km{sh: shState, state: s.freeState(key)}
}

// viaMatters reports whether key's model depends on the way of calling.
func viaMatters(key string) bool {
	switch key {
	case "aws:viaawsservice", "kms:viaservice", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast":
		return true
	}
	return false
}

// valueVar makes the variable holding a free key's single value, typed by
// the operators the policies compare the key with (a key compared in two
// families keeps the first; the other family's tests stay undecided).
func (s *space) valueVar(key string) int {
	fams := s.families[key]
	typ := world.ValueType(key)
	var f family
	switch {
	case fams[famString] || len(fams) == 0:
		f = famString
	case fams[famNumber]:
		f = famNumber
	case fams[famDate]:
		f = famDate
	case fams[famIP]:
		f = famIP
	default:
		f = famBinary
	}
	switch f {
	case famNumber:
		return s.add(&variable{name: key, kind: vkScalar, sc: &scalarVar{name: key, kind: skNumber, valid: typ == world.Number}})
	case famDate:
		return s.add(&variable{name: key, kind: vkScalar, sc: &scalarVar{name: key, kind: skDate}})
	case famIP:
		return s.add(&variable{name: key, kind: vkScalar, sc: &scalarVar{name: key, kind: skIP, valid: typ == world.IP}})
	case famBinary:
		return s.add(&variable{name: key, kind: vkScalar, sc: &scalarVar{name: key, kind: skBinary}})
	}
	if typ == world.Bool {
		return s.strVar(key, domTrue, domFalse)
	}
	return s.strVar(key, nil)
}

func (s *space) freeState(key string) int {
	if v, ok := s.free[key]; ok {
		return v
	}
	if s.spelling[key] == "" {
		s.spelling[key] = key
	}
	v := s.add(&variable{name: key, kind: vkState, elem: s.valueVar(key)})
	s.free[key] = v
	return v
}

func (s *space) ecState(lk, spelled string) int {
	if e, ok := s.ec[lk]; ok {
		return e.state
	}
	v := s.add(&variable{name: "kms:EncryptionContext:" + spelled, kind: vkState, elem: s.valueVar("kms:encryptioncontext:" + lk)})
	s.ec[lk] = &ecKey{name: spelled, state: v}
	return v
}

// finish partitions every domain and enumerates the key states. Call it
// once all conditions are compiled.
func (s *space) finish() {
	// The spellings of each encryption-context key are a language of the
	// kms:EncryptionContextKeys elements.
	for _, e := range s.ecKeys() {
		if !e.hasFold {
			e.foldLang, e.hasFold = s.sECKE.aux(litToks(nil, e.name, true)), true
		}
	}
	if s.pref == nil {
		s.pref = s.prefs()
	}
	s.vars[s.vECK].deps = nil
	for _, e := range s.ecKeys() {
		s.vars[s.vECK].deps = append(s.vars[s.vECK].deps, e.state)
	}
	s.vars[s.vECK].domain = s.eckDomain
	// A question may have compared a variable with new values since its
	// domain was split: split it again. Key states are cheap to remake.
	for _, v := range s.vars {
		switch v.kind {
		case vkStr:
			if v.sv.done && v.sv.parted != len(v.sv.langs) {
				v.sv.done, v.sv.classes, v.sv.err = false, nil, nil
				v.ready = false
			}
		case vkScalar:
			if v.ready && v.sc.parted != len(v.sc.tests) {
				v.sc.classes, v.sc.err = nil, nil
				v.ready = false
			}
		}
	}
	for _, sv := range []*strVar{s.sCVE, s.sECKE} {
		if sv.done && sv.parted != len(sv.langs) {
			sv.done, sv.classes, sv.err = false, nil, nil
		}
	}
	for _, v := range s.vars {
		if v.sv != nil && !v.sv.done {
			v.ready = false
		}
		if v.kind == vkState {
			v.ready, v.states = false, nil
		}
		if !v.ready {
			v.why = ""
		}
	}
}

// prepare makes variable vi's values, once: it partitions the variable's
// domain, or enumerates a key's states. The search prepares a variable
// when it first branches on it, so a domain no formula reaches (a service
// principal's source for a question about callers) is never split.
func (s *space) prepare(vi int) {
	v := s.vars[vi]
	if v.ready {
		return
	}
	v.ready = true
	switch v.kind {
	case vkStr:
		s.split(v.sv)
		if v.sv.err != nil {
			v.why = "the values of " + v.sv.name + " have " + v.sv.err.Error()
		}
		return
	case vkScalar:
		v.sc.parted = len(v.sc.tests)
		v.sc.partition()
		if v.sc.err != nil {
			v.why = v.name + ": " + v.sc.err.Error()
		}
		return
	case vkEnum:
		return
	}
	n, card := 0, world.KeyCardinality(v.name)
	switch {
	case vi == s.vCV:
		s.split(s.sCVE)
		n, card = len(s.sCVE.classes), world.Multi
	case vi == s.vECK:
		s.split(s.sECKE)
		n, card = len(s.sECKE.classes), world.Multi
	case vi == s.vOrg:
		card = world.Single
	case vi == s.vOrgPaths:
		card = world.Multi
	}
	if v.elem >= 0 {
		s.prepare(v.elem)
		n = s.vars[v.elem].size()
	}
	v.states = []keyState{{}}
	if card != world.Multi {
		v.states = append(v.states, keyState{present: true})
	}
	if card != world.Single {
		// Sets of at most one element per set condition (plus the
		// elements other keys pin: a spelling per encryption-context key,
		// the first and last services of aws:CalledVia) reach every
		// combination of the conditions' answers.
		m := len(s.setOps[vi])
		switch vi {
		case s.vECK:
			m += len(s.ec)
		case s.vCV:
			m += 2
		}
		if m < 1 {
			m = 1
		}
		lo := 0
		if vi == s.vCV || vi == s.vOrgPaths {
			lo = 1 // present means at least one service, one path
		}
		sets, ok := subsets(n, lo, m, 4096)
		if !ok {
			v.why = "too many value sets for " + v.name
		}
		for _, set := range sets {
			v.states = append(v.states, keyState{present: true, multi: true, set: set})
		}
	}
}

func (s *space) split(sv *strVar) {
	if sv.done {
		return
	}
	sv.done = true
	sv.parted = len(sv.langs)
	sv.partition()
}

// ecKeys lists the encryption-context keys in a stable order.
func (s *space) ecKeys() []*ecKey {
	var names []string
	for k := range s.ec {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]*ecKey, len(names))
	for i, k := range names {
		out[i] = s.ec[k]
	}
	return out
}

// eckDomain lists the kms:EncryptionContextKeys states consistent with the
// encryption-context keys present: one spelling of each present key, none
// of an absent one, and any number of keys no condition names.
func (s *space) eckDomain(a *assign) []int {
	keys := s.ecKeys()
	var out []int
	states := s.vars[s.vECK].states
	anyPresent := false
	for _, e := range keys {
		anyPresent = anyPresent || s.vars[e.state].states[a.val[e.state]].present
	}
next:
	for i, st := range states {
		if !st.present {
			// A request with an encryption context lists its keys.
			if !anyPresent {
				out = append(out, i)
			}
			continue
		}
		for _, e := range keys {
			present := s.vars[e.state].states[a.val[e.state]].present
			n := 0
			for _, c := range st.set {
				if s.sECKE.classes[c].sig.has(e.foldLang) {
					n++
				}
			}
			if present && n != 1 || !present && n != 0 {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

// freeKeys lists the free keys in a stable order.
func (s *space) freeKeys() []string {
	var out []string
	for k := range s.free {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
