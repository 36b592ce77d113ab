package kms_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/simulator/kms"
)

// A test starts the simulator, uses it through the AWS SDK as one of the
// default identities, and inspects the CloudTrail records it wrote.
func Example() {
	srv, err := kms.Start(kms.Options{}) // 127.0.0.1, a free port, default identities
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	client, err := srv.Client("AKIAEXAMPLECALLER001") // the role MyRecommendationRole
	if err != nil {
		log.Fatal(err)
	}
	key, err := client.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("example")})
	if err != nil {
		log.Fatal(err)
	}
	ec := map[string]string{"purpose": "example"}
	dk, err := client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId: key.KeyMetadata.Arn, NumberOfBytes: aws.Int32(32), EncryptionContext: ec,
	})
	if err != nil {
		log.Fatal(err)
	}
	pt, err := client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("data key round trip:", len(pt.Plaintext) == 32 && string(pt.Plaintext) == string(dk.Plaintext))

	// Another context does not decrypt.
	_, err = client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other"}})
	fmt.Println("other context refused:", err != nil)

	for _, r := range srv.Trail() {
		outcome := "ok"
		if r.ErrorCode != "" {
			outcome = r.ErrorCode
		}
		fmt.Println(r.EventName, r.UserIdentity.Type, outcome)
	}
	// Output:
	// data key round trip: true
	// other context refused: true
	// CreateKey AssumedRole ok
	// GenerateDataKey AssumedRole ok
	// Decrypt AssumedRole ok
	// Decrypt AssumedRole InvalidCiphertextException
}
