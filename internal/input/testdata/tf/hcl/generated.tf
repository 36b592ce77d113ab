# Customer managed KMS key for Amazon Bedrock AgentCore recommendations (kmslint generate)
resource "aws_kms_key" "recommendation" {
  description              = "Encrypts AgentCore recommendation configurations and results"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  key_usage                = "ENCRYPT_DECRYPT"
  enable_key_rotation      = true
  policy                   = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "EnableIAMUserPermissions",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111122223333:root"
          },
          "Action": "kms:*",
          "Resource": "*"
        },
        {
          "Sid": "AllowCallerAccess",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"
          },
          "Action": "kms:DescribeKey",
          "Resource": "*"
        },
        {
          "Sid": "AllowCallerCryptoOps",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"
          },
          "Action": [
            "kms:GenerateDataKey",
            "kms:Decrypt"
          ],
          "Resource": "*",
          "Condition": {
            "StringLike": {
              "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"
            }
          }
        },
        {
          "Sid": "AllowServicePrincipalAccess",
          "Effect": "Allow",
          "Principal": {
            "Service": "bedrock-agentcore.amazonaws.com"
          },
          "Action": [
            "kms:GenerateDataKey",
            "kms:Decrypt"
          ],
          "Resource": "*",
          "Condition": {
            "ArnLike": {
              "aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"
            },
            "StringEquals": {
              "aws:SourceAccount": "111122223333"
            }
          }
        }
      ]
    }
  POLICY
}
