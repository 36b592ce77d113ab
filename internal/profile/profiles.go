package profile

// The AgentCore developer guide's pages; research/agentcore-cmk.md section A
// quotes their policies.
const (
	dg = "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/"

	docRecommendation = dg + "recommendations-encryption.html"
	docBatch          = dg + "batch-evaluations-encryption.html"
	docDataset        = dg + "datasets-encryption.html"
	docEvaluator      = dg + "evaluations-encryption.html"
	docBundle         = dg + "configuration-bundles-encryption.html"
	docPayments       = dg + "payments-encryption.html"
	docPolicyEngine   = dg + "policy-encryption.html"
	docGateway        = dg + "gateway-encryption.html"

	docFAS        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html"
	docViaService = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service"
	docGrantAuth  = "https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html"
	docSourceKeys = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn"
	docS3KMS      = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
	docOperators  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String"
	docTrailID    = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"

	// ServicePrincipal is AgentCore's service principal; every feature's
	// service-side calls use it.
	ServicePrincipal = "bedrock-agentcore.amazonaws.com"
	agentcoreVia     = "bedrock-agentcore"
	s3Via            = "s3"
)

// Operation names of the KMS actions the workflows use.
const (
	describeKey     = "kms:DescribeKey"
	generateDataKey = "kms:GenerateDataKey"
	decrypt         = "kms:Decrypt"
	createGrant     = "kms:CreateGrant"
)

// fas is the fact every caller leg through the service rests on.
var fas = Fact{Documented, docFAS, "the service calls KMS with the caller's identity (forward access session): kms:ViaService names the service; aws:SourceAccount/aws:SourceArn are absent"}

// All are the profiles, recommendation first. Each call builds them anew,
// so a caller may change what it gets.
func All() []*Profile {
	return []*Profile{
		recommendation(), batchEvaluation(), dataset(), evaluator(),
		configurationBundle(), payments(), policyEngine(), gateway(),
	}
}

// callerLeg is a leg the service makes with the caller's identity.
func callerLeg(name string, ec bool, url string, actions ...string) Leg {
	return Leg{Name: name, Who: Caller, Actions: actions, ViaService: agentcoreVia, EncryptionContext: ec,
		InvokedBy: ServicePrincipal, Facts: []Fact{{Documented, url, "the page's caller statements"}, fas}}
}

// The recommendation profile is the seed document's workflow; its legs are
// named like internal/agentcore's steps, whose requests it reproduces.
func recommendation() *Profile {
	d := docRecommendation
	svc := func(name, action string) Leg {
		return Leg{Name: name, Who: Service, Actions: []string{action}, EncryptionContext: true, SourceKeys: true,
			InvokedBy: ServicePrincipal, Facts: []Fact{{Documented, d, "AllowServicePrincipalAccess: aws:SourceAccount and aws:SourceArn of the recommendation"}}}
	}
	return &Profile{
		Name: Recommendation, Aliases: []string{"recommendation"},
		Title: "AgentCore recommendations", Noun: "recommendation", API: "StartRecommendation",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "recommendation",
		ContextKey: "aws:bedrock-agentcore:recommendationArn", SampleID: "MyPromptRec-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("StartRecommendation: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("StartRecommendation: dry-run GenerateDataKey as the caller", true, d, generateDataKey),
			callerLeg("StartRecommendation: dry-run Decrypt as the caller", true, d, decrypt),
			callerLeg("StartRecommendation: encrypt configuration (GenerateDataKey as the caller)", true, d, generateDataKey),
			svc("workflow: read configuration (Decrypt as the service principal)", decrypt),
			svc("workflow: write result (GenerateDataKey as the service principal)", generateDataKey),
			callerLeg("GetRecommendation: Decrypt as the caller", true, d, decrypt),
		},
	}
}

func batchEvaluation() *Profile {
	d := docBatch
	return &Profile{
		Name: "agentcore-batch-evaluation", Aliases: []string{"batch-evaluation"},
		Title: "AgentCore batch evaluations", Noun: "batch evaluation", API: "StartBatchEvaluation",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "batch-evaluate",
		ContextKey: "aws:bedrock-agentcore:batchEvaluationArn", SampleID: "MyBatchEval-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("StartBatchEvaluation: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("StartBatchEvaluation: dry-run as the caller", true, d, generateDataKey, decrypt),
			{Name: "workflow: the service checks GenerateDataKey with its own credentials", Who: Service,
				Actions: []string{generateDataKey}, SourceKeys: true, InvokedBy: ServicePrincipal,
				Facts: []Fact{{Documented, d, "the service also checks kms:GenerateDataKey with its own credentials"},
					{Inferred, d, "the check carries the source keys (the page's service statement requires them) but no encryption context is documented for it, so none is assumed"}}},
			{Name: "workflow: write results through Amazon S3 (GenerateDataKey)", Who: ServiceViaS3,
				Actions: []string{generateDataKey}, ViaService: s3Via, EncryptionContext: true, SourceKeys: true, InvokedBy: "s3.amazonaws.com",
				Facts: []Fact{{Documented, d, "S3 calls KMS on behalf of the service"},
					{Inferred, docS3KMS, "the source keys and the batch-evaluation context travel through S3 as the datasets page documents for datasets; S3 adds aws:s3:arn"}}},
			{Name: "workflow: read results through Amazon S3 (Decrypt)", Who: ServiceViaS3,
				Actions: []string{decrypt}, ViaService: s3Via, EncryptionContext: true, SourceKeys: true, InvokedBy: "s3.amazonaws.com",
				Facts: []Fact{{Inferred, docS3KMS, "S3 reuses the stored encryption context on GetObject"}}},
			callerLeg("GetBatchEvaluation: Decrypt as the caller", true, d, decrypt),
		},
	}
}

func dataset() *Profile {
	d := docDataset
	return &Profile{
		Name: "agentcore-dataset", Aliases: []string{"dataset"},
		Title: "AgentCore datasets", Noun: "dataset", API: "CreateDataset",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "dataset",
		ContextKey: "aws:bedrock-agentcore:datasetArn", SampleID: "MyDataset-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("CreateDataset: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("CreateDataset: dry-run as the caller", true, d, generateDataKey, decrypt),
			{Name: "write dataset records through Amazon S3 (GenerateDataKey)", Who: ServiceViaS3,
				Actions: []string{generateDataKey}, ViaService: s3Via, EncryptionContext: true, SourceKeys: true, InvokedBy: "s3.amazonaws.com",
				Facts: []Fact{{Documented, d, "the service sends aws:SourceAccount, aws:SourceArn and the dataset context with KMS write operations (S3 SSE-KMS)"}}},
			{Name: "download through a presigned S3 URL (Decrypt without source keys)", Who: ServiceViaS3,
				Actions: []string{decrypt}, ViaService: s3Via, EncryptionContext: true, InvokedBy: "s3.amazonaws.com",
				Facts: []Fact{{Documented, d, "do not add aws:SourceAccount or aws:SourceArn to the read statement: presigned downloads carry no source context"},
					{Inferred, docS3KMS, "S3 reuses the object's stored encryption context on GetObject, so the dataset context is present"}}},
			{Name: "read: DescribeKey as the service principal", Who: Service, Actions: []string{describeKey}, InvokedBy: ServicePrincipal,
				Facts: []Fact{{Documented, d, "AllowAgentCoreDatasetRead grants kms:DescribeKey without source keys"}}},
		},
		Decisions: []Decision{{
			About: "the read statement has no source keys",
			Reading: "AWS's read statement grants the service principal Decrypt with no condition at all, so any dataset's download " +
				"(another account's too) may use the key. The source keys cannot be required, but the dataset context can: S3 " +
				"presents the object's stored context on every read. kmslint requires the read to be scoped by " +
				"kms:EncryptionContext:aws:bedrock-agentcore:datasetArn to this account's datasets and reports AWS's unscoped statement.",
			Facts: []Fact{{Documented, d, "presigned downloads carry no source context"}, {Documented, docS3KMS, "the encryption context is stored with the object and used on GetObject"}},
		}},
	}
}

func evaluator() *Profile {
	d := docEvaluator
	return &Profile{
		Name: "agentcore-evaluator", Aliases: []string{"evaluator"},
		Title: "AgentCore custom evaluators (and online evaluation)", Noun: "evaluator", API: "CreateEvaluator",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "evaluator",
		ContextKey: "aws:bedrock-agentcore:evaluatorArn", SampleID: "my-evaluator-id", Doc: d,
		Legs: []Leg{
			callerLeg("CreateEvaluator: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("CreateEvaluator/UpdateEvaluator: encrypt the evaluator (GenerateDataKey as the caller)", true, d, generateDataKey),
			callerLeg("GetEvaluator: Decrypt as the caller", true, d, decrypt),
			{Name: "online evaluation: Decrypt as the service principal", Who: Service, Actions: []string{decrypt},
				EncryptionContext: true, SourceKeys: true, InvokedBy: ServicePrincipal,
				Facts: []Fact{{Documented, d, "the service principal only decrypts, during online evaluation, under aws:SourceAccount and aws:SourceArn; CloudTrail shows the evaluatorArn context"}}},
		},
		Decisions: []Decision{{
			About: "the example compares aws:SourceArn with StringEquals",
			Reading: "StringEquals compares the whole string and treats * literally, so the example admits exactly the one " +
				"evaluator it names; that is correct, if narrow (a wildcard there would match nothing: KMS008). kmslint " +
				"accepts it and checks the legs for the evaluator the policy names; generate pins every evaluator of the " +
				"account with ArnLike instead.",
			Facts: []Fact{{Documented, d, "AllowServicePrincipalDecrypt uses StringEquals on aws:SourceArn"}, {Documented, docOperators, "string operators: * is literal outside StringLike"}},
		}},
		Notes: []Fact{{Documented, d, "the feature uses no KMS grants and caches no data keys; online-evaluation configurations take no key of their own"}},
	}
}

func configurationBundle() *Profile {
	d := docBundle
	return &Profile{
		Name: "agentcore-configuration-bundle", Aliases: []string{"configuration-bundle"},
		Title: "AgentCore configuration bundles", Noun: "configuration bundle", API: "CreateConfigurationBundle",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "configuration-bundle",
		ContextKey: "aws:bedrock-agentcore:configurationBundleArn", SampleID: "MyBundle-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("CreateConfigurationBundle: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("Create/UpdateConfigurationBundle: encrypt (GenerateDataKey as the caller)", true, d, generateDataKey),
			callerLeg("GetConfigurationBundle: Decrypt as the caller", true, d, decrypt),
			func() Leg {
				l := callerLeg("UpdateConfigurationBundle with a new key: ReEncrypt as the caller", true, d, "kms:ReEncryptFrom", "kms:ReEncryptTo")
				l.When = "when a bundle moves to or from this key"
				return l
			}(),
		},
		Decisions: []Decision{{
			About: "the example has no kms:ViaService although the calls are forward access sessions",
			Reading: "The calls carry kms:ViaService=bedrock-agentcore.REGION.amazonaws.com whether or not the policy tests it; " +
				"AWS's statements work, and generate adds the condition so the callers cannot use the key outside AgentCore.",
			Facts: []Fact{{Documented, d, "caller-only feature; no kms:ViaService in the example"}, {Documented, docViaService, "kms:ViaService is set when a service calls on the principal's behalf"}},
		}},
	}
}

func payments() *Profile {
	d := docPayments
	role := func(name string, ec bool, actions ...string) Leg {
		return Leg{Name: name, Who: ExecutionRole, Actions: actions, EncryptionContext: ec,
			Facts: []Fact{{Documented, d, "the execution role calls KMS directly, not through FAS: kms:ViaService applies only to the FAS check"}}}
	}
	return &Profile{
		Name: "agentcore-payments", Aliases: []string{"payments"},
		Title: "AgentCore payment managers", Noun: "payment manager", API: "CreatePaymentManager",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "payment-manager",
		ContextKey: "aws:payments-manager:arn", SampleID: "MyPaymentManager-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("CreatePaymentManager: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			callerLeg("CreatePaymentManager: FAS check as the caller", true, d, generateDataKey, decrypt),
			role("execution role: DescribeKey", false, describeKey),
			role("execution role: encrypt and decrypt payment data", true, generateDataKey, decrypt),
		},
		Decisions: []Decision{{
			About: "the page says FAS events show userIdentity.invokedBy as the caller's identity",
			Reading: "CloudTrail defines invokedBy as the AWS service that made the request; the caller's identity is the " +
				"event's userIdentity itself. kmslint reads the FAS legs' invokedBy as bedrock-agentcore.amazonaws.com and the " +
				"execution role's events as the role's session with no invokedBy.",
			Facts: []Fact{{Documented, d, "FAS events show userIdentity.invokedBy: the caller's identity"}, {Documented, docTrailID, "invokedBy is only present when a request is made by an AWS service"}},
		}},
		Notes: []Fact{{Documented, d, "the encryption-context key has no bedrock-agentcore prefix; the feature uses no KMS grants"}},
	}
}

// policyOps are the operations of the policy engine's grants, as the page's
// kms:GrantOperations condition lists them.
var policyOps = []string{"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"}

func policyEngine() *Profile {
	d := docPolicyEngine
	grantLeg := func(name string, ops []string) Leg {
		l := callerLeg(name, true, d, createGrant)
		l.Grant = &Grant{Operations: ops, ConstraintType: "EncryptionContextSubset"}
		l.Facts = append(l.Facts,
			Fact{Documented, d, "CreateGrant through FAS, EncryptionContextSubset, kms:GrantOperations within the listed six; no source keys on CreateGrant"},
			Fact{Inferred, d, "which operations each of the two grants (management, evaluation) asks for is not documented; the management grant is modelled with all six"},
			Fact{Documented, docGrantAuth, "kms:GrantIsForAWSResource is true when an integrated service sends the request"})
		return l
	}
	return &Profile{
		Name: "agentcore-policy-engine", Aliases: []string{"policy-engine"},
		Title: "AgentCore Policy engines", Noun: "policy engine", API: "CreatePolicyEngine",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "policy-engine",
		ContextKey: "aws:bedrock-agentcore-policy:policy-engine-arn", SampleID: "MyPolicyEngine-AB1CD2EF3G", Doc: d,
		Legs: []Leg{
			callerLeg("CreatePolicyEngine: validate key (DescribeKey as the caller through the service)", false, d, describeKey),
			grantLeg("CreatePolicyEngine: management grant (CreateGrant as the caller)", policyOps),
			grantLeg("CreatePolicyEngine: evaluation grant (CreateGrant as the caller)", []string{"Decrypt", "GenerateDataKey"}),
			callerLeg("policy operations: GenerateDataKey and Decrypt as the caller", true, d, generateDataKey, decrypt),
			{Name: "evaluation: the service uses its grants", Who: Grantee, Actions: []string{decrypt, generateDataKey},
				EncryptionContext: true, SourceKeys: true, InvokedBy: ServicePrincipal,
				Facts: []Fact{{Documented, d, "grant-based operations carry aws:SourceAccount and aws:SourceArn"}}},
		},
		Decisions: []Decision{{
			About: "CreateGrant carries no source keys",
			Reading: "The page says the source keys are available on grant-based operations but not on kms:CreateGrant (a forward " +
				"access session). kmslint models CreateGrant without them, so a source-key condition on the CreateGrant statement " +
				"breaks the leg; the grant is scoped by kms:ViaService, kms:GrantConstraintType, kms:GrantOperations and the " +
				"policy-engine context instead, and kmslint checks that nothing wider is allowed.",
			Facts: []Fact{{Documented, d, "source context conditions are not available on the kms:CreateGrant call"}},
		}, {
			About:   "the example's context pattern arn:aws*:bedrock-agentcore:*:*:policy-engine/* names every account and region",
			Reading: "kmslint pins the context to this account's policy engines in this region and reports the wider pattern.",
			Facts:   []Fact{{Documented, d, "the example's StringLike value"}},
		}},
		Notes: []Fact{{Documented, d, "symmetric ENCRYPT_DECRYPT key, Enabled; the grants retire when the policy engine is deleted"}},
	}
}

func gateway() *Profile {
	d := docGateway
	role := func(name string, ec bool, actions ...string) Leg {
		return Leg{Name: name, Who: ExecutionRole, Actions: actions, ViaService: agentcoreVia, EncryptionContext: ec,
			InvokedBy: ServicePrincipal, Facts: []Fact{{Documented, d, "the gateway service role's statements, under kms:ViaService=bedrock-agentcore.REGION.amazonaws.com"}}}
	}
	grant := role("gateway: CreateGrant as the service role", true, createGrant)
	grant.Grant = &Grant{Operations: []string{"Decrypt", "GenerateDataKey"}, ConstraintType: "EncryptionContextSubset"}
	grant.Facts = append(grant.Facts, Fact{Documented, d, "AllowServiceRoleCreateGrant: EncryptionContextSubset, kms:GrantOperations Decrypt and GenerateDataKey"})
	return &Profile{
		Name: "agentcore-gateway", Aliases: []string{"gateway"},
		Title: "AgentCore gateways", Noun: "gateway", API: "CreateGateway",
		Service: ServicePrincipal, ARNService: "bedrock-agentcore", ResourceType: "gateway",
		ContextKey: "aws:bedrock-agentcore-gateway:arn", SampleID: "GatewayId", Doc: d,
		Legs: []Leg{
			role("gateway: DescribeKey as the service role", false, describeKey),
			role("gateway: GenerateDataKey and Decrypt as the service role", true, generateDataKey, decrypt),
			grant,
			{Name: "gateway: the service uses its grant", Who: Grantee, Actions: []string{decrypt, generateDataKey},
				EncryptionContext: true, InvokedBy: ServicePrincipal,
				Facts: []Fact{{Inferred, d, "the grantee is the service; the grant, not the key policy, authorizes these calls"}}},
		},
		Decisions: []Decision{{
			About: "typos on the page",
			Reading: "The prose names the context key kmsEncryptionContext:aws:bedrock-agentcore-gateway-arn and a Sid " +
				"AllowServiceRoleDescribeKKey; the JSON policy's kms:EncryptionContext:aws:bedrock-agentcore-gateway:arn is the key " +
				"kmslint models. A policy written after the prose matches no request and fails the gateway's legs.",
			Facts: []Fact{{Documented, d, "prose and JSON disagree"}},
		}, {
			About: "a direct call at CreateGateway",
			Reading: "Public code reports that at CreateGateway the service assumes the role and calls KMS without kms:ViaService " +
				"or the gateway context. That is not documented and not verified, so it is no leg of the profile; if " +
				"CreateGateway fails with AccessDenied, allow the role kms:DescribeKey without kms:ViaService.",
			Facts: []Fact{{Field, "https://github.com/aws/modern-data-architecture-accelerator", "session GenesisMCPTargetTargetEncryption calls KMS directly (unverified)"}},
		}, {
			About: "the log-delivery statement",
			Reading: "delivery.logs.amazonaws.com's statement compares kms:EncryptionContext:SourceArn with StringEquals on a value " +
				"ending in :*; the vended-log context value itself appears to end in :*, so the literal match works. It belongs " +
				"to CloudWatch Logs delivery, not to the gateway's legs.",
			Facts: []Fact{{Inferred, d, "AllowKMSDecryptionLogging"}, {Field, "https://github.com/aws/modern-data-architecture-accelerator", "checked live by its authors"}},
		}},
	}
}
