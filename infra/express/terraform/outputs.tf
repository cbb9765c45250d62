output "service_arn" {
  value = aws_ecs_express_gateway_service.app.service_arn
}

output "endpoint" {
  value = local.endpoint
}

output "distribution_id" {
  value = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  value = aws_cloudfront_distribution.this.domain_name
}

output "cloudfront_prefix_list_id" {
  value = data.aws_ec2_managed_prefix_list.cloudfront.id
}
