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
//     ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion,
//     CancelKeyDeletion, CreateAlias, DeleteAlias, ListAliases, Encrypt,
//     Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
//     GenerateRandom, CreateGrant, ListGrants, RevokeGrant, and DryRun where
//     KMS has it. Any other target is UnknownOperationException.
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
//   - Alias operations check the key policy of the target key only, not
//     IAM permissions on the alias resource. Grants are not checked for
//     being a subset of the grant used to create them, and RetireGrant,
//     key rotation, Sign/Verify, GenerateMac, data key pairs, multi-Region
//     and custom key stores are not implemented.
//   - Asymmetric RSA keys encrypt and decrypt with RSAES-OAEP; ECC and HMAC
//     keys can be created and described but not used.
//   - Ciphertext blobs have the simulator's own format and cannot be
//     decrypted by real KMS (nor the reverse).
package kms
