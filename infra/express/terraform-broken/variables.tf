# BROKEN ON PURPOSE (see main.tf); the fixed configuration is ../terraform/.

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
  description = "Role ECS uses to create the load balancer, target groups, security groups and certificate"
  type        = string
}
