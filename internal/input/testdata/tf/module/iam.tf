data "aws_iam_policy_document" "key" {
  statement {
    sid       = "EnableIAMUserPermissions"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  statement {
    sid       = "AllowCallerCryptoOps"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.caller.arn]
    }
    principals {
      type        = "AWS"
      identifiers = var.admin_arns
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
      values   = [local.rec_arns]
    }
  }

  dynamic "statement" {
    for_each = var.services
    content {
      sid       = "Allow${statement.key}"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = [statement.value]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [local.rec_arns]
      }
    }
  }
}
