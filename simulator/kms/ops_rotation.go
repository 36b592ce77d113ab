package kms

import (
	"strconv"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
)

// Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations. Rotation applies to symmetric
// encryption keys only; other keys get UnsupportedOperationException.
// https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html
//
// Differences: on-demand rotation completes within the request (KMS
// rotates asynchronously), and automatic rotation is scheduled
// (NextRotationDate) but never carried out by the simulator.

const (
	defaultRotationDays = 365
	minRotationDays     = 90
	maxRotationDays     = 2560
	// maxOnDemandRotations is KMS's quota of on-demand rotations per key.
	// https://docs.aws.amazon.com/kms/latest/developerguide/rotating-keys-on-demand.html
	maxOnDemandRotations = 25
	day                  = 24 * time.Hour
)

type enableRotationInput struct {
	KeyId                *string
	RotationPeriodInDays *int
}

type enableRotationParams struct {
	KeyID                string `json:"keyId"`
	RotationPeriodInDays *int   `json:"rotationPeriodInDays,omitempty"`
}

type rotationStatusOutput struct {
	KeyId                     string
	KeyRotationEnabled        bool
	RotationPeriodInDays      *int   `json:",omitempty"`
	NextRotationDate          *epoch `json:",omitempty"`
	OnDemandRotationStartDate *epoch `json:",omitempty"`
}

type listRotationsInput struct {
	KeyId              *string
	IncludeKeyMaterial *string
	Limit              *int
	Marker             *string
}

type listRotationsParams struct {
	KeyID              string `json:"keyId"`
	IncludeKeyMaterial string `json:"includeKeyMaterial,omitempty"`
	Limit              *int   `json:"limit,omitempty"`
	Marker             string `json:"marker,omitempty"`
}

type rotationEntry struct {
	KeyId            string
	KeyMaterialId    string `json:",omitempty"`
	KeyMaterialState string `json:",omitempty"`
	RotationDate     *epoch `json:",omitempty"`
	RotationType     string `json:",omitempty"`
}

type listRotationsOutput struct {
	Rotations  []rotationEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

// checkRotatable refuses rotation operations on keys KMS cannot rotate.
func checkRotatable(k *key) *APIError {
	if k.Spec != specSymmetric {
		return clientErr(CodeUnsupportedOp, "%s has key spec %s; key rotation is supported only on symmetric encryption KMS keys.", k.ARN, k.Spec)
	}
	return nil
}

func (c *call) enableKeyRotation(body []byte) (any, *APIError) {
	var in enableRotationInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = enableRotationParams{KeyID: str(in.KeyId), RotationPeriodInDays: in.RotationPeriodInDays}
	days := defaultRotationDays
	if in.RotationPeriodInDays != nil {
		days = *in.RotationPeriodInDays
		if days < minRotationDays || days > maxRotationDays {
			return nil, validation("1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between %d and %d", days, minRotationDays, maxRotationDays)
		}
	}
	k, e := c.keyOp(in.KeyId, "kms:EnableKeyRotation", false, false, nil, func(ctx *authz.Context) {
		ctx.Set("kms:rotationperiodindays", strconv.Itoa(days))
	})
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "EnableKeyRotation"); e != nil {
		return nil, e
	}
	if e := checkRotatable(k); e != nil {
		return nil, e
	}
	_, e = c.update(k, func(n *key) *APIError {
		// A new period counts from the start of the current one.
		base := c.now
		if n.RotationEnabled && !n.NextRotation.IsZero() {
			base = n.NextRotation.Add(-time.Duration(n.RotationPeriod) * day)
		}
		n.RotationEnabled, n.RotationPeriod = true, days
		n.NextRotation = base.Add(time.Duration(days) * day).Truncate(time.Second)
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) disableKeyRotation(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, "kms:DisableKeyRotation", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "DisableKeyRotation"); e != nil {
		return nil, e
	}
	if e := checkRotatable(k); e != nil {
		return nil, e
	}
	_, e = c.update(k, func(n *key) *APIError {
		n.RotationEnabled, n.RotationPeriod, n.NextRotation = false, 0, time.Time{}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) getKeyRotationStatus(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	// Cross-account use: yes, with the key ARN.
	k, e := c.keyOp(in.KeyId, "kms:GetKeyRotationStatus", true, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "GetKeyRotationStatus"); e != nil {
		return nil, e
	}
	if e := checkRotatable(k); e != nil {
		return nil, e
	}
	out := rotationStatusOutput{KeyId: k.ARN, KeyRotationEnabled: k.RotationEnabled}
	if k.RotationEnabled {
		days := k.RotationPeriod
		next := epoch(k.NextRotation)
		out.RotationPeriodInDays, out.NextRotationDate = &days, &next
	}
	return out, nil
}

func (c *call) rotateKeyOnDemand(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, "kms:RotateKeyOnDemand", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "RotateKeyOnDemand"); e != nil {
		return nil, e
	}
	if e := checkRotatable(k); e != nil {
		return nil, e
	}
	m, err := newMaterial(k.Spec)
	if err != nil {
		return nil, internal(err)
	}
	_, e = c.update(k, func(n *key) *APIError {
		onDemand := 0
		for _, r := range n.Rotations {
			if r.Type == "ON_DEMAND" {
				onDemand++
			}
		}
		if onDemand >= maxOnDemandRotations {
			return clientErr(CodeLimitExceeded, "%s has reached the limit of %d on-demand rotations.", n.ARN, maxOnDemandRotations)
		}
		mats := make(map[[materialIDLen]byte]*material, len(n.materials)+1)
		for id, old := range n.materials {
			mats[id] = old
		}
		mats[m.id] = m
		n.materials, n.current = mats, m
		n.Rotations = append(n.Rotations, rotation{MaterialID: m.idHex(), Date: c.now.Truncate(time.Second), Type: "ON_DEMAND"})
		return nil
	})
	if e != nil {
		return nil, e
	}
	c.response = keyIDParams{KeyID: k.ARN}
	return keyIDOutput{KeyId: k.ARN}, nil
}

func (c *call) listKeyRotations(body []byte) (any, *APIError) {
	var in listRotationsInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	include := str(in.IncludeKeyMaterial)
	c.params = listRotationsParams{KeyID: str(in.KeyId), IncludeKeyMaterial: include, Limit: in.Limit, Marker: str(in.Marker)}
	limit, e := listLimit(in.Limit, 1000)
	if e != nil {
		return nil, e
	}
	if in.Limit == nil {
		limit = 100
	}
	switch include {
	case "", "ROTATIONS_ONLY", "ALL_KEY_MATERIAL":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'includeKeyMaterial' failed to satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]", include)
	}
	k, e := c.keyOp(in.KeyId, "kms:ListKeyRotations", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "ListKeyRotations"); e != nil {
		return nil, e
	}
	if e := checkRotatable(k); e != nil {
		return nil, e
	}
	cur := k.current.idHex()
	state := func(id string) string {
		if id == cur {
			return "CURRENT"
		}
		return "NON_CURRENT"
	}
	var all []rotationEntry
	if include == "ALL_KEY_MATERIAL" && len(k.Rotations) > 0 {
		// The material the key was created with, which no rotation made.
		for id := range k.materials {
			hexID := k.materials[id].idHex()
			made := false
			for _, r := range k.Rotations {
				made = made || r.MaterialID == hexID
			}
			if !made {
				all = append(all, rotationEntry{KeyId: k.ARN, KeyMaterialId: hexID, KeyMaterialState: state(hexID)})
			}
		}
	}
	for _, r := range k.Rotations {
		d := epoch(r.Date)
		all = append(all, rotationEntry{KeyId: k.ARN, KeyMaterialId: r.MaterialID, KeyMaterialState: state(r.MaterialID), RotationDate: &d, RotationType: r.Type})
	}
	start, e := markerStart(in.Marker, len(all))
	if e != nil {
		return nil, e
	}
	out := listRotationsOutput{Rotations: []rotationEntry{}}
	for i := start; i < len(all) && len(out.Rotations) < limit; i++ {
		out.Rotations = append(out.Rotations, all[i])
	}
	if next := start + len(out.Rotations); next < len(all) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}
