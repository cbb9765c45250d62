output "distribution_id" {
  value = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  value = aws_cloudfront_distribution.this.domain_name
}

output "function_arn" {
  value = aws_cloudfront_function.forwarded_host.arn
}
