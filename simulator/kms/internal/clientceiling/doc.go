// Package clientceiling measures the AWS SDK for Go's KMS client against a
// server that does nothing but return canned GenerateDataKey and Decrypt
// responses. bench/kms-throughput.sh reports it next to the simulator: on a
// shared machine, end-to-end pairs/s over loopback are bounded by the client
// and the network stack, and this is that bound.
package clientceiling
