# An ECS Express Mode service with CloudFront in front and the host problem fixed, its load balancer locked
# to CloudFront. Same design as ../cloudformation/cloudfront-express.yaml.

locals {
  # Managed policy IDs are fixed across accounts (CloudFront Developer Guide, "Use managed cache policies" and
  # "Use managed origin request policies").
  caching_disabled              = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  caching_optimized             = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  all_viewer_except_host_header = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

  origin_id     = "express"
  custom_domain = var.alternate_domain_name != "" && var.acm_certificate_arn != ""
  # <2 letters>-<32 hex>.ecs.<region>.on.aws, covered by the certificate Express puts on the listener.
  endpoint = trimprefix(aws_ecs_express_gateway_service.app.ingress_paths[0].endpoint, "https://")
}

# The Region's ID of CloudFront's origin-facing servers (CloudFront Developer Guide, LocationsOfEdgeServers).
data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

# Express creates (or joins) one internet-facing Application Load Balancer per VPC, shared by up to 25
# services through one host-header listener rule each (ECS Developer Guide, express-service-work.html). Its
# default action answers 404 to any other Host: hence AllViewerExceptHostHeader below.
resource "aws_ecs_express_gateway_service" "app" {
  execution_role_arn      = var.execution_role_arn
  infrastructure_role_arn = var.infrastructure_role_arn
  health_check_path       = var.health_check_path
  wait_for_steady_state   = true

  primary_container {
    image          = var.image
    container_port = var.container_port
  }
}

# The load balancer's security group belongs to Express and opens the listener to 0.0.0.0/0 and ::/0: anyone
# can call the *.on.aws endpoint and skip CloudFront. The resource exports no attribute naming that group,
# and Terraform cannot own rules it did not create, so the same script the AWS CLI form uses finds the group
# (DescribeServiceRevisions), allows HTTPS from the prefix list, then revokes the open rules. It runs again
# when the service's revision changes (an Express update may rewrite what Express manages: ECS Developer
# Guide, express-service-advanced-customization.html). Needs the AWS CLI where terraform runs.
resource "terraform_data" "lock_alb" {
  triggers_replace = [
    aws_ecs_express_gateway_service.app.service_revision_arn,
    data.aws_ec2_managed_prefix_list.cloudfront.id,
  ]

  provisioner "local-exec" {
    command = "${path.module}/../cli/lock-alb.sh"
    environment = {
      EXPRESS_SERVICE_ARN = aws_ecs_express_gateway_service.app.service_arn
      PREFIX_LIST_ID      = data.aws_ec2_managed_prefix_list.cloudfront.id
    }
  }
}

resource "aws_cloudfront_function" "forwarded_host" {
  name    = "forwarded-host-express"
  runtime = "cloudfront-js-2.0"
  comment = "Copy the viewer Host into X-Forwarded-Host (Host itself is read-only here)"
  publish = true
  code    = file("${path.module}/../../cloudfront-function/forwarded-host.js")
}

resource "aws_cloudfront_distribution" "this" {
  comment         = "ECS Express Mode ${local.endpoint} behind CloudFront (host problem fixed)"
  enabled         = true
  http_version    = "http2and3"
  is_ipv6_enabled = true
  price_class     = "PriceClass_100"
  aliases         = local.custom_domain ? [var.alternate_domain_name] : []

  origin {
    origin_id   = local.origin_id
    domain_name = local.endpoint

    custom_origin_config {
      origin_protocol_policy = "https-only"
      https_port             = 443
      http_port              = 80
      # Required by the provider, no default: write TLSv1.2 and nothing older (the listener refuses TLSv1).
      origin_ssl_protocols = ["TLSv1.2"]
      # The load balancer closes a connection idle for 60 s by default; CloudFront's default 30 s would
      # turn 30-60 s requests into 504s. 60 s is also the default CloudFront quota's maximum.
      origin_read_timeout      = 60
      origin_keepalive_timeout = 5
    }

    # The prefix list admits every CloudFront distribution, anyone's: the app checks this header.
    custom_header {
      name  = var.origin_secret_header_name
      value = var.origin_secret
    }
  }

  default_cache_behavior {
    target_origin_id       = local.origin_id
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    compress               = false
    # Dynamic pages: nothing cached, so one viewer's page is never served to another.
    cache_policy_id = local.caching_disabled
    # Everything the viewer sent except Host: the shared load balancer routes by Host.
    origin_request_policy_id = local.all_viewer_except_host_header

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.forwarded_host.arn
    }
  }

  ordered_cache_behavior {
    path_pattern           = var.static_path_pattern
    target_origin_id       = local.origin_id
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # Same bytes for everybody: cache them (no headers, cookies or query strings in the key).
    cache_policy_id = local.caching_optimized
  }

  # CloudFront caches a 404 and 500-504 for 10 seconds by default: an error should not outlive its cause.
  dynamic "custom_error_response" {
    for_each = [404, 502, 503, 504]
    content {
      error_code            = custom_error_response.value
      error_caching_min_ttl = 0
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # With the *.cloudfront.net certificate CloudFront uses the TLSv1 policy whatever you ask for (CloudFront API
  # reference, ViewerCertificate, MinimumProtocolVersion): TLSv1.2_2021 needs an alias and its certificate.
  viewer_certificate {
    cloudfront_default_certificate = !local.custom_domain
    acm_certificate_arn            = local.custom_domain ? var.acm_certificate_arn : null
    ssl_support_method             = local.custom_domain ? "sni-only" : null
    minimum_protocol_version       = local.custom_domain ? "TLSv1.2_2021" : "TLSv1"
  }
}
