data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  rec_arns  = "arn:${data.aws_partition.current.partition}:bedrock-agentcore:${data.aws_region.current.name}:${local.account}:recommendation/*"
  root_arn  = "arn:${data.aws_partition.current.partition}:iam::${local.account}:root"
}

resource "aws_iam_role" "caller" {
  name = "MyRecommendationRole"
  path = "/agents/"
}

# The policy document of iam.tf.
resource "aws_kms_key" "recommendation" {
  description = "AgentCore recommendations"
  policy      = data.aws_iam_policy_document.key.json
}

resource "aws_kms_key" "inline" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EnableIAMUserPermissions"
        Effect    = "Allow"
        Principal = { AWS = local.root_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AllowCaller"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.caller.arn, var.caller_role_arn] }
        Action    = ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = "*"
      },
      local.service_statement,
    ]
  })
}

resource "aws_kms_key" "separate" {
  description = "policy set by aws_kms_key_policy.from_file"
}

resource "aws_kms_key_policy" "from_file" {
  key_id = aws_kms_key.separate.arn
  policy = file("${path.module}/policy.json")
}

resource "aws_kms_key" "default" {
  description = "no policy"
}

resource "aws_kms_key" "later" {
  policy = var.policy_json
}
