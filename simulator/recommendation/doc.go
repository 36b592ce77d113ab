// Package recommendation is a fake Amazon Bedrock AgentCore recommendation
// API (StartRecommendation, GetRecommendation, ListRecommendations,
// DeleteRecommendation) that encrypts recommendations with a customer
// managed key exactly as AWS documents it: envelope encryption with the AWS
// Encryption SDK through the fake KMS of package simulator/kms, forward
// access sessions at API time, and the service principal with
// aws:SourceAccount / aws:SourceArn in the asynchronous workflow.
// https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/recommendation-encryption.html
//
// Its KMS calls, in order (and no others):
//
//	StartRecommendation  caller via the service (FAS): DescribeKey,
//	                     GenerateDataKey (DryRun), Decrypt (DryRun,
//	                     IGNORE_CIPHERTEXT), GenerateDataKey (encrypt the
//	                     configuration with the Encryption SDK)
//	workflow             bedrock-agentcore.amazonaws.com: Decrypt (the
//	                     configuration), GenerateDataKey (the result)
//	GetRecommendation    caller via the service: Decrypt (configuration, and
//	                     the result once there is one)
//	List/Delete          none
//
// Every call carries the encryption context
// {"aws:bedrock-agentcore:recommendationArn": ARN} except DescribeKey, which
// takes none. Serve it with Handler next to the fake KMS (Router), or use
// Start for both on one loopback endpoint, which the official
// bedrockagentcore and kms clients use with a custom BaseEndpoint.
//
// # Differences from AWS
//
//   - The API itself is not authorized by IAM (bedrock-agentcore:* actions):
//     any identity of the identities file may call it; the key policy, via
//     the KMS calls above, decides.
//   - The recommendation result is kept in memory; the S3 object AWS writes
//     with SSE-KMS is only described (ResultObject), because S3's own KMS
//     calls are not part of the documented recommendation trail.
//   - Tags are stored and validated but no tagging API is served.
package recommendation
