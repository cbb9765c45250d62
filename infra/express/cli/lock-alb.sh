#!/usr/bin/env bash
# Close the bypass of an ECS Express Mode service: its load balancer's security group then admits HTTPS from
# CloudFront's origin-facing servers only.
#
#   EXPRESS_SERVICE_ARN=arn:aws:ecs:us-east-1:123456789012:service/default/my-app ./lock-alb.sh
#
# Express opens that group to 0.0.0.0/0 and ::/0, so anyone can call the *.on.aws endpoint and skip
# CloudFront. This script
#   1. finds the group through the service's managed resources (DescribeServiceRevisions ecsManagedResources
#      ingressPaths[].loadBalancerSecurityGroups, ECS API reference ManagedIngressPath);
#   2. allows TCP 443 from the managed prefix list com.amazonaws.global.cloudfront.origin-facing
#      (CloudFront Developer Guide, LocationsOfEdgeServers.html), unless that rule is there already;
#   3. then revokes every inbound rule open to 0.0.0.0/0 or ::/0: in this order CloudFront is never shut out.
# Running it again changes nothing. The group belongs to the load balancer that up to 25 Express services of
# the VPC share: all of them are then reachable through CloudFront only. The prefix list weighs 55 rules
# against the group's quota of 60 (VPC User Guide, "AWS-managed prefix list weight").
# PREFIX_LIST_ID may be given; otherwise it is looked up by name. Prints the group IDs it locked.
set -euo pipefail

: "${EXPRESS_SERVICE_ARN:?set EXPRESS_SERVICE_ARN to the Express service ARN}"
[[ $EXPRESS_SERVICE_ARN =~ ^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$ ]] \
  || { echo "unsafe or malformed EXPRESS_SERVICE_ARN '$EXPRESS_SERVICE_ARN'" >&2; exit 2; }

prefix_list=${PREFIX_LIST_ID:-$(aws ec2 describe-managed-prefix-lists \
  --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing \
  --query 'PrefixLists[0].PrefixListId' --output text)}
[[ $prefix_list =~ ^pl-[0-9a-f]+$ ]] || { echo "no CloudFront prefix list found: '$prefix_list'" >&2; exit 1; }

revision=$(aws ecs describe-express-gateway-service --service-arn "$EXPRESS_SERVICE_ARN" \
  --query 'service.activeConfigurations[0].serviceRevisionArn' --output text)
group_arns=$(aws ecs describe-service-revisions --service-revision-arns "$revision" \
  --query 'serviceRevisions[0].ecsManagedResources.ingressPaths[].loadBalancerSecurityGroups[].arn' \
  --output text)
[[ -n $group_arns && $group_arns != None ]] || { echo "the service reports no load balancer security group" >&2; exit 1; }

for group_arn in $group_arns; do
  group=${group_arn##*/}  # arn:aws:ec2:<region>:<account>:security-group/sg-...
  # One read of the inbound rules: how many already admit the prefix list on 443, and the open ones' IDs.
  rules=$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$group" \
    --query "[length(SecurityGroupRules[?!IsEgress && PrefixListId=='$prefix_list' && FromPort<=\`443\` && ToPort>=\`443\`]),
              join(' ', SecurityGroupRules[?!IsEgress && (CidrIpv4=='0.0.0.0/0' || CidrIpv6=='::/0')].SecurityGroupRuleId)]" \
    --output text)
  read -r already open_rules <<< "$rules"
  [[ $already =~ ^[0-9]+$ ]] || { echo "could not read the rules of $group: '$rules'" >&2; exit 1; }
  if [[ $already == 0 ]]; then
    aws ec2 authorize-security-group-ingress --group-id "$group" \
      --ip-permissions "IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=$prefix_list,Description=CloudFront origin-facing}]" \
      > /dev/null
  fi
  # Revoked only after CloudFront's rule exists (the IDs read above are not affected by adding it).
  if [[ -n ${open_rules:-} ]]; then
    # shellcheck disable=SC2086  # one argument per rule ID
    aws ec2 revoke-security-group-ingress --group-id "$group" --security-group-rule-ids $open_rules > /dev/null
  fi
  echo "$group"
done
