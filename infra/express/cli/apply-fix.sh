#!/usr/bin/env bash
# Put CloudFront in front of an ECS Express Mode service with the host problem fixed, and lock the service's
# load balancer to CloudFront.
#
#   EXPRESS_SERVICE_ARN=arn:aws:ecs:us-east-1:123456789012:service/default/my-app \
#   ORIGIN_SECRET=$(openssl rand -hex 32) \
#   ./apply-fix.sh
#
# Policy IDs, TLS versions and the reasons for each setting: see distribution-config.json and the post; the
# security group step: see lock-alb.sh. Needs the AWS CLI (v1 or v2) and sed. Prints the distribution ID,
# its *.cloudfront.net domain, and the security group(s) it locked.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${EXPRESS_SERVICE_ARN:?set EXPRESS_SERVICE_ARN to the Express service ARN}"
: "${ORIGIN_SECRET:?set ORIGIN_SECRET, e.g. \$(openssl rand -hex 32)}"
FUNCTION_NAME=${FUNCTION_NAME:-forwarded-host}
SECRET_HEADER=${SECRET_HEADER:-X-Origin-Secret}

# The values go through sed: keep them to letters, digits, dots, dashes (a hex secret is fine).
for value in "$ORIGIN_SECRET" "$SECRET_HEADER" "$FUNCTION_NAME"; do
  [[ $value =~ ^[A-Za-z0-9.-]+$ ]] || { echo "unsafe characters in '$value'" >&2; exit 2; }
done
[[ $EXPRESS_SERVICE_ARN =~ ^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$ ]] \
  || { echo "unsafe or malformed EXPRESS_SERVICE_ARN '$EXPRESS_SERVICE_ARN'" >&2; exit 2; }

# 1. The service's endpoint, <2 letters>-<32 hex>.ecs.<region>.on.aws: the origin CloudFront connects to,
#    and the Host the load balancer's rule for this service matches.
endpoint=$(aws ecs describe-express-gateway-service --service-arn "$EXPRESS_SERVICE_ARN" \
  --query 'service.activeConfigurations[0].ingressPaths[0].endpoint' --output text)
endpoint=${endpoint#https://}
[[ $endpoint =~ ^[a-z0-9.-]+\.on\.aws$ ]] || { echo "unexpected endpoint '$endpoint'" >&2; exit 1; }

# 2. The CloudFront Function: created in the DEVELOPMENT stage, then published to LIVE.
etag=$(aws cloudfront create-function \
  --name "$FUNCTION_NAME" \
  --function-config Comment="Copy Host into X-Forwarded-Host",Runtime=cloudfront-js-2.0 \
  --function-code "fileb://$here/../../cloudfront-function/forwarded-host.js" \
  --query ETag --output text)
function_arn=$(aws cloudfront publish-function \
  --name "$FUNCTION_NAME" --if-match "$etag" \
  --query FunctionSummary.FunctionMetadata.FunctionARN --output text)

# 3. The distribution, from the template with its placeholders filled in.
config=$(mktemp)
trap 'rm -f "$config"' EXIT
sed -e "s|@CALLER_REFERENCE@|express-fix-$(date +%s)-$$|" \
    -e "s|@EXPRESS_ENDPOINT@|$endpoint|g" \
    -e "s|@SECRET_HEADER@|$SECRET_HEADER|" \
    -e "s|@ORIGIN_SECRET@|$ORIGIN_SECRET|" \
    -e "s|@FUNCTION_ARN@|$function_arn|" \
    "$here/distribution-config.json" > "$config"

aws cloudfront create-distribution \
  --distribution-config "file://$config" \
  --query 'Distribution.[Id, DomainName]' --output text

# 4. The load balancer admits CloudFront only.
EXPRESS_SERVICE_ARN=$EXPRESS_SERVICE_ARN "$here/lock-alb.sh"
