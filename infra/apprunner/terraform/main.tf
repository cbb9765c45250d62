# CloudFront in front of an existing App Runner service, with the fixes of the post
# "CloudFront + AppRunner: solving the host problem". Same design as ../cloudformation/cloudfront-apprunner.yaml.

locals {
  # Managed policy IDs are fixed across accounts (CloudFront Developer Guide, "Use managed cache policies" and
  # "Use managed origin request policies").
  caching_disabled              = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  caching_optimized             = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  all_viewer_except_host_header = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

  custom_domain = var.alternate_domain_name != "" && var.acm_certificate_arn != ""
  origin_id     = "apprunner"
}

resource "aws_cloudfront_function" "forwarded_host" {
  name    = "forwarded-host"
  runtime = "cloudfront-js-2.0"
  comment = "Copy the viewer Host into X-Forwarded-Host (Host itself is read-only here)"
  publish = true
  code    = file("${path.module}/../../cloudfront-function/forwarded-host.js")
}

resource "aws_cloudfront_distribution" "this" {
  comment         = "App Runner ${var.apprunner_service_domain} behind CloudFront (host problem fixed)"
  enabled         = true
  http_version    = "http2and3"
  is_ipv6_enabled = true
  price_class     = "PriceClass_100"
  aliases         = local.custom_domain ? [var.alternate_domain_name] : []

  origin {
    origin_id   = local.origin_id
    domain_name = var.apprunner_service_domain

    custom_origin_config {
      origin_protocol_policy = "https-only"
      https_port             = 443
      http_port              = 80
      # Required by the provider, no default: write TLSv1.2 and nothing older.
      origin_ssl_protocols     = ["TLSv1.2"]
      # App Runner gives up after 120 s; CloudFront's default 30 s would turn 30-120 s requests into
      # 504s. 60 s is the default quota's maximum; the API takes up to 120 s once the quota is raised.
      origin_read_timeout      = 60
      origin_keepalive_timeout = 5
    }

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
    # Everything the viewer sent except Host: App Runner's front routes by Host.
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

  # CloudFront caches a 404 and 500-504 for 10 seconds by default: an error should not outlive its cause
  # (a deployment, a TLS or timeout fix). Raise the 5xx values later to shield an origin in trouble.
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

  # With the *.cloudfront.net certificate CloudFront uses the TLSv1 policy whatever you ask for, and the
  # provider accepts only "TLSv1" there.
  viewer_certificate {
    cloudfront_default_certificate = !local.custom_domain
    acm_certificate_arn            = local.custom_domain ? var.acm_certificate_arn : null
    ssl_support_method             = local.custom_domain ? "sni-only" : null
    minimum_protocol_version       = local.custom_domain ? "TLSv1.2_2021" : "TLSv1"
  }
}
