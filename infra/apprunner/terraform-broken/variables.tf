# BROKEN ON PURPOSE (see main.tf); the fixed configuration is ../terraform/.

variable "apprunner_service_domain" {
  description = "The service's default domain (DescribeService ServiceUrl), without https://"
  type        = string
}
