#!/usr/bin/env bash
# `hostlab check` on the tutorial's own configurations: the naive first attempt, then the fix. For yours,
# change the paths and the values (a template with --param, a Terraform folder with --var, a plan JSON from
# `terraform show -json plan.out`, or `aws cloudfront get-distribution-config` output). Offline: it starts
# a private local backend and removes it when it is done.
set -u
cd "$(dirname "$0")/../.."
HOSTLAB="${HOSTLAB:-.venv/bin/hostlab}"

# The naive first attempt: the 404, the 502 and the shared personal page are among the FAILs (exit 1).
"$HOSTLAB" check infra/apprunner/cloudformation/cloudfront-apprunner-broken.yaml \
    --param AppRunnerServiceDomain=abcdefghij.us-east-1.awsapprunner.com
echo "broken configuration: exit $?"

# The fix, with an alias and its certificate (viewer TLS 1.2): every check OK (exit 0), written as JUnit
# XML for a CI page.
mkdir -p build
"$HOSTLAB" check infra/apprunner/terraform --format junit --output build/cloudfront-check.xml \
    --var apprunner_service_domain=abcdefghij.us-east-1.awsapprunner.com \
    --var alternate_domain_name=www.example.com \
    --var acm_certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000
echo "fixed configuration: exit $?"
