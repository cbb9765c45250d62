#!/usr/bin/env bash
# Create a CloudFront distribution in front of an App Runner service, with the host problem fixed.
#
#   APP_RUNNER_DOMAIN=abcdefghij.us-east-1.awsapprunner.com \
#   ORIGIN_SECRET=$(openssl rand -hex 32) \
#   ./apply-fix.sh
#
# Policy IDs, TLS versions and the reasons for each setting: see distribution-config.json and the post.
# Needs the AWS CLI (v1 or v2) and sed. Prints the distribution ID and its *.cloudfront.net domain.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${APP_RUNNER_DOMAIN:?set APP_RUNNER_DOMAIN to the service URL without https://}"
: "${ORIGIN_SECRET:?set ORIGIN_SECRET, e.g. \$(openssl rand -hex 32)}"
FUNCTION_NAME=${FUNCTION_NAME:-forwarded-host}
SECRET_HEADER=${SECRET_HEADER:-X-Origin-Secret}

# The values go through sed: keep them to letters, digits, dots, dashes (a hex secret is fine).
for value in "$APP_RUNNER_DOMAIN" "$ORIGIN_SECRET" "$SECRET_HEADER" "$FUNCTION_NAME"; do
  [[ $value =~ ^[A-Za-z0-9.-]+$ ]] || { echo "unsafe characters in '$value'" >&2; exit 2; }
done

# 1. The CloudFront Function: created in the DEVELOPMENT stage, then published to LIVE.
etag=$(aws cloudfront create-function \
  --name "$FUNCTION_NAME" \
  --function-config Comment="Copy Host into X-Forwarded-Host",Runtime=cloudfront-js-2.0 \
  --function-code "fileb://$here/../../cloudfront-function/forwarded-host.js" \
  --query ETag --output text)
function_arn=$(aws cloudfront publish-function \
  --name "$FUNCTION_NAME" --if-match "$etag" \
  --query FunctionSummary.FunctionMetadata.FunctionARN --output text)

# 2. The distribution, from the template with its placeholders filled in.
config=$(mktemp)
trap 'rm -f "$config"' EXIT
sed -e "s|@CALLER_REFERENCE@|apprunner-fix-$(date +%s)-$$|" \
    -e "s|@APP_RUNNER_DOMAIN@|$APP_RUNNER_DOMAIN|g" \
    -e "s|@SECRET_HEADER@|$SECRET_HEADER|" \
    -e "s|@ORIGIN_SECRET@|$ORIGIN_SECRET|" \
    -e "s|@FUNCTION_ARN@|$function_arn|" \
    "$here/distribution-config.json" > "$config"

aws cloudfront create-distribution \
  --distribution-config "file://$config" \
  --query 'Distribution.[Id, DomainName]' --output text
