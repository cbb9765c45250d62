# BROKEN ON PURPOSE (see main.tf); the fixed configuration is ../terraform/.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_ecs_express_gateway_service first appears in 6.23.0 (provider CHANGELOG, 2025-11-26).
      version = ">= 6.23.0"
    }
  }
}
