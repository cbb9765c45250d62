# BROKEN ON PURPOSE: the naive first attempt at CloudFront in front of an ECS Express Mode service that the
# post "CloudFront + AppRunner: solving the host problem" starts from (its Express Mode track), kept so
# `hostlab check` has something to find. Do not deploy it: the fixed configuration is ../terraform/.
#
# What is wrong, and what the fixed folder does instead:
# - AllViewer forwards the viewer's Host, the shared load balancer's listener rules route by Host: every
#   request gets the default action's 404 (fixed: AllViewerExceptHostHeader and a CloudFront Function);
# - origin_ssl_protocols = ["TLSv1"]: the listener's TLS policy refuses TLS 1.0, CloudFront answers 502
#   (fixed: ["TLSv1.2"]);
# - CachingOptimized on the default behaviour: one user's dynamic page is served to the next
#   (fixed: CachingDisabled there, CachingOptimized only on the static path);
# - no custom_error_response: a 404 or 5xx stays cached for 10 seconds after its cause is gone;
# - no origin_read_timeout: CloudFront gives up after 30 s, the load balancer's idle timeout is 60 s;
# - the load balancer stays open to the internet and no secret header is sent: anyone can skip CloudFront.

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = "Managed-AllViewer"
}

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

resource "aws_cloudfront_distribution" "this" {
  comment     = "ECS Express Mode behind CloudFront (first attempt)"
  enabled     = true
  price_class = "PriceClass_100"

  origin {
    origin_id   = "express"
    domain_name = trimprefix(aws_ecs_express_gateway_service.app.ingress_paths[0].endpoint, "https://")

    custom_origin_config {
      origin_protocol_policy = "https-only"
      https_port             = 443
      http_port              = 80
      origin_ssl_protocols   = ["TLSv1"]
    }
  }

  default_cache_behavior {
    target_origin_id         = "express"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    compress                 = true
    cache_policy_id          = data.aws_cloudfront_cache_policy.caching_optimized.id
    origin_request_policy_id = data.aws_cloudfront_origin_request_policy.all_viewer.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
