# BROKEN ON PURPOSE: the naive first attempt at CloudFront in front of App Runner that the post
# "CloudFront + AppRunner: solving the host problem" starts from, kept so `hostlab check` has something to
# find (and tests can prove it does). Do not deploy it: the fixed configuration is ../terraform/.
#
# What is wrong, and what the fixed folder does instead:
# - AllViewer forwards the viewer's Host, App Runner's front routes by Host: every request answers 404
#   (fixed: AllViewerExceptHostHeader, and a CloudFront Function copying Host into X-Forwarded-Host);
# - origin_ssl_protocols = ["TLSv1"]: App Runner accepts TLS 1.2 and later only, CloudFront answers 502
#   (fixed: ["TLSv1.2"]);
# - CachingOptimized on the default behaviour: one user's dynamic page is served to the next
#   (fixed: CachingDisabled there, CachingOptimized only on the static path);
# - no custom_error_response: a 404 or 5xx stays cached for 10 seconds after its cause is gone
#   (fixed: error_caching_min_ttl = 0);
# - no origin_read_timeout: CloudFront gives up after 30 s while App Runner waits 120 s (fixed: 60);
# - no origin secret header: the *.awsapprunner.com URL serves anyone who skips CloudFront.

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = "Managed-AllViewer"
}

resource "aws_cloudfront_distribution" "this" {
  comment     = "App Runner ${var.apprunner_service_domain} behind CloudFront (first attempt)"
  enabled     = true
  price_class = "PriceClass_100"

  origin {
    origin_id   = "apprunner"
    domain_name = var.apprunner_service_domain

    custom_origin_config {
      origin_protocol_policy = "https-only"
      https_port             = 443
      http_port              = 80
      origin_ssl_protocols   = ["TLSv1"]
    }
  }

  default_cache_behavior {
    target_origin_id         = "apprunner"
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
