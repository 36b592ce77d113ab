package main

import (
	"sync"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/report"
)

// proofSink collects the documents' proofs as lint's workers finish them
// (lint.Env.Proofs), for the JSON report's "documents".
type proofSink struct {
	mu   sync.Mutex
	docs map[*input.Document]report.DocumentProofs
	seen []*input.Document // in the order they arrived, for documents not in the list given to report
}

func (s *proofSink) add(doc *input.Document, proofs []report.Proof) {
	if len(proofs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = map[*input.Document]report.DocumentProofs{}
	}
	if _, ok := s.docs[doc]; !ok {
		s.seen = append(s.seen, doc)
	}
	s.docs[doc] = report.DocumentProofs{File: doc.File, Resource: doc.Resource, Proofs: proofs}
}

// report lists the proofs of docs in their order, then those of any other
// document (live keys), in the order they were linted.
func (s *proofSink) report(docs []input.Document) []report.DocumentProofs {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []report.DocumentProofs
	done := map[*input.Document]bool{}
	for i := range docs {
		if p, ok := s.docs[&docs[i]]; ok {
			out = append(out, p)
			done[&docs[i]] = true
		}
	}
	for _, d := range s.seen {
		if !done[d] {
			out = append(out, s.docs[d])
		}
	}
	return out
}
