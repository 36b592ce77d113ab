variable "caller_role_arn" {
  type = string
}

variable "admin_arns" {
  type    = list(string)
  default = ["arn:aws:iam::111122223333:role/Default"]
}

variable "services" {
  type    = map(string)
  default = {}
}

variable "policy_json" {
  type = string
}
