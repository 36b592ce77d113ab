admin_arns = ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/BreakGlass"]
services   = { AgentCore = "bedrock-agentcore.amazonaws.com" }
