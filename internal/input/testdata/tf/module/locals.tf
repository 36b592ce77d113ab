locals {
  service_statement = {
    Sid       = "AllowService"
    Effect    = "Allow"
    Principal = { Service = "bedrock-agentcore.amazonaws.com" }
    Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
    Resource  = "*"
    Condition = {
      StringEquals = { "aws:SourceAccount" = local.account }
      ArnLike      = { "aws:SourceArn" = local.rec_arns }
    }
  }
}
