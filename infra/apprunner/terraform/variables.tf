variable "apprunner_service_domain" {
  description = "The service's default domain (DescribeService ServiceUrl), without https://"
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+\\.[a-z0-9-]+\\.awsapprunner\\.com$", var.apprunner_service_domain))
    error_message = "Expected something like abcdefghij.us-east-1.awsapprunner.com."
  }
}

variable "origin_secret" {
  description = "Long random value (e.g. openssl rand -hex 32) that CloudFront adds to every origin request"
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.origin_secret) >= 32
    error_message = "Use at least 32 characters."
  }
}

variable "origin_secret_header_name" {
  description = "Name of the origin custom header that carries origin_secret"
  type        = string
  default     = "X-Origin-Secret"
}

variable "static_path_pattern" {
  description = "Path pattern of the files that are the same for every viewer (cached)"
  type        = string
  default     = "/static/*"
}

variable "alternate_domain_name" {
  description = "Optional www.example.com; needs acm_certificate_arn too"
  type        = string
  default     = ""
}

variable "acm_certificate_arn" {
  description = "Optional ACM certificate in us-east-1 covering alternate_domain_name"
  type        = string
  default     = ""
}
