package recommendation

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kmslint/kmslint/simulator/sigv4"
)

const (
	// SigningName is the SigV4 service name of the AgentCore data plane.
	SigningName = "bedrock-agentcore"
	// maxBody bounds a request body; configurations are small documents.
	maxBody = 1 << 20
	// PathPrefix is where the recommendation routes live.
	PathPrefix = "/recommendations"
)

// Handler serves the recommendation REST API (restJson1, as the official
// bedrockagentcore client speaks it): POST /recommendations, GET
// /recommendations, GET and DELETE /recommendations/{recommendationId},
// SigV4-verified against the identities.
func (s *Service) Handler() http.Handler {
	v := &sigv4.Verifier{Service: SigningName, Region: s.region, Secret: s.ids.Secret}
	return &handler{s: s, verifier: v}
}

type handler struct {
	s        *Service
	verifier *sigv4.Verifier
}

// IsRecommendationPath reports whether an HTTP path belongs to the
// recommendation API.
func IsRecommendationPath(p string) bool {
	return p == PathPrefix || strings.HasPrefix(p, PathPrefix+"/")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, &Error{Code: CodeValidation, Status: http.StatusBadRequest, Reason: ReasonCannotParse, Message: "could not read the request body: " + err.Error()})
		return
	}
	if len(body) > maxBody {
		writeError(w, &Error{Code: CodeValidation, Status: http.StatusRequestEntityTooLarge, Message: "request body is larger than " + strconv.Itoa(maxBody) + " bytes"})
		return
	}
	auth, err := h.verifier.Verify(r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			status := http.StatusForbidden
			if se.Code == sigv4.CodeIncomplete {
				status = http.StatusBadRequest
			}
			writeError(w, &Error{Code: se.Code, Status: status, Message: se.Message})
			return
		}
		writeError(w, internalErr(err))
		return
	}
	caller, _ := h.s.ids.Lookup(auth.AccessKeyID)
	ctx := r.Context()
	rest := strings.TrimPrefix(r.URL.Path, PathPrefix)
	switch {
	case rest == "" && r.Method == http.MethodPost:
		in, e := decodeStart(body)
		if e != nil {
			writeError(w, e)
			return
		}
		rec, err := h.s.Start(ctx, caller, in)
		reply(w, http.StatusAccepted, err, func() any { return startOutput(rec) })
	case rest == "" && r.Method == http.MethodGet:
		in, e := decodeList(r)
		if e != nil {
			writeError(w, e)
			return
		}
		out, err := h.s.List(ctx, caller, in)
		reply(w, http.StatusOK, err, func() any { return listOutput(out) })
	case strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/") && r.Method == http.MethodGet:
		rec, err := h.s.Get(ctx, caller, rest[1:])
		reply(w, http.StatusOK, err, func() any { return getOutput(rec) })
	case strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/") && r.Method == http.MethodDelete:
		rec, err := h.s.Delete(ctx, caller, rest[1:])
		reply(w, http.StatusAccepted, err, func() any {
			return map[string]string{"recommendationId": rec.ID, "status": rec.Status}
		})
	default:
		writeError(w, &Error{Code: "UnknownOperationException", Status: http.StatusNotFound, Message: r.Method + " " + r.URL.Path + " is not a recommendation operation"})
	}
}

// startRequest is the JSON body of StartRecommendation.
type startRequest struct {
	Name                 *string           `json:"name"`
	Description          *string           `json:"description"`
	Type                 *string           `json:"type"`
	RecommendationConfig json.RawMessage   `json:"recommendationConfig"`
	KMSKeyARN            *string           `json:"kmsKeyArn"`
	ClientToken          *string           `json:"clientToken"`
	Tags                 map[string]string `json:"tags"`
}

// decodeStart parses a StartRecommendation body.
func decodeStart(body []byte) (StartInput, *Error) {
	var req startRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return StartInput{}, &Error{Code: CodeValidation, Status: http.StatusBadRequest, Reason: ReasonCannotParse, Message: "could not parse the request body: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return StartInput{}, &Error{Code: CodeValidation, Status: http.StatusBadRequest, Reason: ReasonCannotParse, Message: "data after the request's JSON object"}
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return StartInput{Name: deref(req.Name), Description: deref(req.Description), Type: deref(req.Type),
		Config: req.RecommendationConfig, KMSKeyARN: deref(req.KMSKeyARN), ClientToken: deref(req.ClientToken), Tags: req.Tags}, nil
}

func decodeList(r *http.Request) (ListInput, *Error) {
	q := r.URL.Query()
	in := ListInput{NextToken: q.Get("nextToken"), Status: q.Get("status")}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, fieldErr("maxResults", "Value '%s' at 'maxResults' is not an integer", v)
		}
		if n == 0 {
			// 0 is out of range, not "the default".
			return in, fieldErr("maxResults", "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", MaxMaxResults)
		}
		in.MaxResults = n
	}
	return in, nil
}

// Wire shapes of the responses; timestamps are date-time (RFC 3339).
type recOutput struct {
	RecommendationID     string          `json:"recommendationId"`
	RecommendationARN    string          `json:"recommendationArn"`
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Type                 string          `json:"type"`
	RecommendationConfig json.RawMessage `json:"recommendationConfig,omitempty"`
	Status               string          `json:"status"`
	CreatedAt            string          `json:"createdAt"`
	UpdatedAt            string          `json:"updatedAt"`
	KMSKeyARN            string          `json:"kmsKeyArn,omitempty"`
	RecommendationResult json.RawMessage `json:"recommendationResult,omitempty"`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func startOutput(r *Recommendation) any {
	return recOutput{RecommendationID: r.ID, RecommendationARN: r.ARN, Name: r.Name, Description: r.Description, Type: r.Type,
		RecommendationConfig: r.Config, Status: r.Status, CreatedAt: stamp(r.CreatedAt), UpdatedAt: stamp(r.UpdatedAt)}
}

func getOutput(r *Recommendation) any {
	out := startOutput(r).(recOutput)
	out.KMSKeyARN = r.KMSKeyARN
	out.RecommendationResult = r.Result
	return out
}

type summaryOutput struct {
	RecommendationID  string `json:"recommendationId"`
	RecommendationARN string `json:"recommendationArn"`
	Name              string `json:"name"`
	Description       string `json:"description,omitempty"`
	Type              string `json:"type"`
	Status            string `json:"status"`
	CreatedAt         string `json:"createdAt"`
	UpdatedAt         string `json:"updatedAt"`
}

func listOutput(o *ListOutput) any {
	out := struct {
		Summaries []summaryOutput `json:"recommendationSummaries"`
		NextToken string          `json:"nextToken,omitempty"`
	}{Summaries: make([]summaryOutput, 0, len(o.Summaries)), NextToken: o.NextToken}
	for _, s := range o.Summaries {
		out.Summaries = append(out.Summaries, summaryOutput{RecommendationID: s.ID, RecommendationARN: s.ARN, Name: s.Name,
			Description: s.Description, Type: s.Type, Status: s.Status, CreatedAt: stamp(s.CreatedAt), UpdatedAt: stamp(s.UpdatedAt)})
	}
	return out
}

// reply writes the output of a successful call, or its error.
func reply(w http.ResponseWriter, status int, err error, out func() any) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = internalErr(err)
		}
		writeError(w, e)
		return
	}
	b, err := json.Marshal(out())
	if err != nil {
		writeError(w, internalErr(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", newRequestID())
	w.WriteHeader(status)
	w.Write(b)
}

// writeError writes a restJson1 error: the code in X-Amzn-ErrorType, the
// message (and a ValidationException's reason and fieldList) in the body.
func writeError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"message": e.Message}
	if e.Reason != "" {
		body["reason"] = e.Reason
	}
	if len(e.Fields) > 0 {
		body["fieldList"] = e.Fields
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", e.Code)
	h.Set("X-Amzn-Requestid", newRequestID())
	w.WriteHeader(e.Status)
	w.Write(b)
}

func newRequestID() string {
	id, err := newID("r")
	if err != nil {
		return "r-0000000000"
	}
	return strings.ToLower(id[2:])
}

// Router serves one endpoint for both services, routed by protocol: KMS
// requests carry X-Amz-Target: TrentService.*, AgentCore requests are REST
// calls under /recommendations. Anything else goes to KMS, which answers
// UnknownOperationException.
func Router(kmsHandler, recommendations http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), "TrentService.") && IsRecommendationPath(r.URL.Path) {
			recommendations.ServeHTTP(w, r)
			return
		}
		kmsHandler.ServeHTTP(w, r)
	})
}
