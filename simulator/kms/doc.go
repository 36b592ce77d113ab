// Package kms is a fake AWS KMS for tests: the official AWS SDKs and the AWS
// Encryption SDK talk to it unmodified (AWS JSON 1.1, SigV4), and unlike
// other fakes it authorizes every call by the key policy, knows key states,
// binds the encryption context, and writes the CloudTrail records AWS would.
//
// Start one on a free loopback port, point a client at Endpoint with the
// credentials of one of its identities, and Shutdown when done:
//
//	srv, err := kms.Start(kms.Options{})
//	...
//	defer srv.Shutdown(context.Background())
//	client, err := srv.Client("AKIAEXAMPLECALLER001")
//
// # What it does
//
//   - Operations: CreateKey, DescribeKey, GetKeyPolicy, PutKeyPolicy,
//     ListKeyPolicies, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
//     ScheduleKeyDeletion, CancelKeyDeletion, TagResource, UntagResource,
//     ListResourceTags, CreateAlias, UpdateAlias, DeleteAlias, ListAliases,
//     Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//     GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair,
//     GenerateDataKeyPairWithoutPlaintext, GenerateRandom, Sign, Verify,
//     GetPublicKey, GenerateMac, VerifyMac, EnableKeyRotation,
//     DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//     ListKeyRotations, CreateGrant, ListGrants, ListRetirableGrants,
//     RetireGrant, RevokeGrant, DescribeCustomKeyStores (always empty), and
//     DryRun where KMS has it. Any other target is UnknownOperationException.
//   - Key specs: SYMMETRIC_DEFAULT, RSA_2048/3072/4096, ECC_NIST_P256/P384/
//     P521, ECC_SECG_P256K1 and HMAC_224/256/384/512, with the key usages,
//     algorithms and MessageType rules of each; the key state table decides
//     which operation works on a disabled key or one pending deletion.
//   - Errors carry the HTTP status of the KMS service model (NotFound 404,
//     Disabled, KMSInvalidState and AlreadyExists 409, DryRun 412).
//   - Identities (package identity): IAM users, roles acting as assumed-role
//     sessions, service principals with fixed context keys (and, for them
//     only, extra keys from the X-Kmslint-Context header), and callers
//     through a service (forward access sessions) with aws:ViaAWSService,
//     aws:CalledVia and kms:ViaService.
//   - Authorization by internal/authz, the engine the linter uses: key
//     policy, root delegation plus the identity's IAM policies, grants, and
//     explicit deny, with AccessDeniedException in AWS's wording.
//   - Symmetric ciphertexts bind the key, the key material and the
//     encryption context through AES-256-GCM associated data, with an
//     unambiguous encoding of the context.
//   - Every authenticated call to a known operation, allowed or denied,
//     becomes exactly one CloudTrail record (package trail), kept in memory
//     and optionally written in S3 layout.
//   - State is in memory, or in Options.StateDir, replaced atomically on
//     every change so that a kill -9 never corrupts it.
//
// # Differences from AWS
//
//   - aws:SecureTransport reflects the connection: "false" over the plain
//     HTTP loopback listener. Policies that deny insecure transport deny
//     simulator requests, as AWS would deny a plain-HTTP request.
//   - Requests that fail authentication (unknown access key, bad signature)
//     and unknown operations are not logged, as they belong to no account.
//   - A call is logged once, in the account that owns the key (or the
//     caller's, when no key is involved); AWS also logs cross-account calls
//     in the caller's account.
//   - kms:CallerAccount is not set for service principals, which have no
//     account of their own here.
//   - Alias operations check the key policies of the keys only, not IAM
//     permissions on the alias resource. Grants are not checked for being a
//     subset of the grant used to create them. Multi-Region keys, custom key
//     stores, imported key material, DeriveSharedSecret and ML-DSA/SM2 specs
//     are not implemented.
//   - RotateKeyOnDemand completes within the request; automatic rotation is
//     scheduled (GetKeyRotationStatus shows the date) but never happens.
//   - Ciphertext blobs have the simulator's own format and cannot be
//     decrypted by real KMS (nor the reverse).
package kms
