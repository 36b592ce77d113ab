data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

variable "caller_role_name" {
  type    = string
  default = "MyRecommendationRole"
}

locals {
  account         = data.aws_caller_identity.current.account_id
  recommendations = "arn:aws:bedrock-agentcore:${data.aws_region.current.name}:${local.account}:recommendation/*"
  caller          = "arn:aws:iam::${local.account}:role/${var.caller_role_name}"
}

data "aws_iam_policy_document" "recommendations" {
  statement {
    sid       = "EnableIAMUserPermissions"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CallerDescribeKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.caller]
    }
  }

  statement {
    sid       = "CallerDataKeys"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.caller]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
      values   = [local.recommendations]
    }
  }

  statement {
    sid       = "AgentCoreWorkflow"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["bedrock-agentcore.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.recommendations]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
      values   = [local.recommendations]
    }
  }
}

resource "aws_kms_key" "recommendations" {
  description         = "AgentCore recommendations"
  enable_key_rotation = true
}

resource "aws_kms_key_policy" "recommendations" {
  key_id = aws_kms_key.recommendations.id
  policy = data.aws_iam_policy_document.recommendations.json
}
