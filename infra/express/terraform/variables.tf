variable "image" {
  description = "Container image of the app (a public or ECR image URI)"
  type        = string
}

variable "container_port" {
  description = "Port the app listens on in its container"
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "Path the load balancer's health check requests (the API's default is /ping)"
  type        = string
  default     = "/healthz"
}

variable "execution_role_arn" {
  description = "Task execution role (managed policy AmazonECSTaskExecutionRolePolicy)"
  type        = string
}

variable "infrastructure_role_arn" {
  description = "Role ECS uses to create the load balancer, target groups, security groups and certificate (managed policy AmazonECSInfrastructureRoleforExpressGatewayServices)"
  type        = string
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
