package identity

import "fmt"

// DefaultYAML is the identities file used when none is given: the example
// of CONTRACT.md (`serve`). Its credentials are public test values.
const DefaultYAML = `account: "111122223333"
region: us-east-1
identities:
  - arn: arn:aws:iam::111122223333:role/MyRecommendationRole
    accessKeyId: AKIAEXAMPLECALLER001
    secretAccessKey: caller-secret
    policies: []
  - arn: arn:aws:iam::444455556666:role/Outsider
    accessKeyId: AKIAEXAMPLEOUTSIDER1
    secretAccessKey: outsider-secret
  - service: bedrock-agentcore.amazonaws.com
    accessKeyId: AKIAEXAMPLESERVICE01
    secretAccessKey: service-secret
    context: {"aws:SourceAccount": "111122223333"}
  - arn: arn:aws:iam::111122223333:role/MyRecommendationRole
    viaService: bedrock-agentcore.amazonaws.com
    accessKeyId: AKIAEXAMPLEFASCALLER
    secretAccessKey: fas-secret
`

// Default returns a fresh copy of the default identity set.
func Default() *Set {
	s, err := Parse("default identities", []byte(DefaultYAML))
	if err != nil {
		// DefaultYAML is a constant covered by tests; failing here is a
		// programming error, not an input error.
		panic(fmt.Sprintf("identity: default identities do not parse: %v", err))
	}
	return s
}
