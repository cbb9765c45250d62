"""The errors CloudFront's API answers with, code and message as AWS sends them.

moto turns a raised error into the REST-XML error document and takes the HTTP status from the error shape
in botocore's CloudFront model (for example PreconditionFailed -> 412). Each message carries its source:
where a real response was quoted publicly we use its words; otherwise the error's description in the
CloudFront API reference (the same text botocore's model documents), marked as such.
"""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import ServiceException

API_REFERENCE = (
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/CommonErrors.html and each operation's Errors"
)
CNAME_REQUIREMENTS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements"


class CloudFrontError(ServiceException):
    """One CloudFront error: ``code`` is the AWS error code, the HTTP status comes from botocore's model."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def invalid_argument(message: str) -> CloudFrontError:
    return CloudFrontError("InvalidArgument", message)


def validation_error(value: object, path: str, allowed: list[str]) -> CloudFrontError:
    # CloudFront checks enumerations server-side and answers MalformedXML in the AWS validation-error
    # form, e.g. "1 validation error detected: Value '1' at
    # 'distributionConfig.defaultCacheBehavior.functionAssociations.items.1.member.eventType' failed to
    # satisfy constraint: Member must satisfy value set: [viewer-request, viewer-response]"
    # (terraform-aws-modules/terraform-aws-cloudfront issue 53).
    return CloudFrontError(
        "MalformedXML",
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
        f"Member must satisfy value set: [{', '.join(allowed)}]",
    )


def missing_if_match() -> CloudFrontError:
    # API reference description of InvalidIfMatchVersion (moto's own wording is the same).
    return CloudFrontError(
        "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource."
    )


def precondition_failed() -> CloudFrontError:
    # Observed: "PreconditionFailed: The request failed because it didn't meet the preconditions in one or
    # more request-header fields." (hashicorp/terraform-provider-aws issue 33575)
    return CloudFrontError(
        "PreconditionFailed",
        "The request failed because it didn't meet the preconditions in one or more request-header fields.",
    )


def check_if_match(if_match: str | None, etag: str) -> None:
    """The If-Match rule of every CloudFront update and delete (policies, distributions, functions): a
    missing value is InvalidIfMatchVersion (400), one other than the resource's current ETag
    PreconditionFailed (412) (API reference, each operation's Errors)."""
    if not if_match:
        raise missing_if_match()
    if if_match != etag:
        raise precondition_failed()


def inconsistent_quantities() -> CloudFrontError:
    # API reference description of InconsistentQuantities.
    return CloudFrontError(
        "InconsistentQuantities", "The value of Quantity and the size of Items don't match."
    )


# --- cache and origin request policies ---------------------------------------------------------------


def no_such_cache_policy() -> CloudFrontError:
    # API reference description of NoSuchCachePolicy.
    return CloudFrontError("NoSuchCachePolicy", "The cache policy does not exist.")


def no_such_origin_request_policy() -> CloudFrontError:
    # API reference description of NoSuchOriginRequestPolicy.
    return CloudFrontError("NoSuchOriginRequestPolicy", "The origin request policy does not exist.")


def policy_already_exists(kind: str) -> CloudFrontError:
    # API reference descriptions of CachePolicyAlreadyExists / OriginRequestPolicyAlreadyExists.
    if kind == "cache":
        return CloudFrontError(
            "CachePolicyAlreadyExists",
            "A cache policy with this name already exists. You must provide a unique name. "
            "To modify an existing cache policy, use UpdateCachePolicy.",
        )
    return CloudFrontError(
        "OriginRequestPolicyAlreadyExists",
        "An origin request policy with this name already exists. You must provide a unique name. "
        "To modify an existing origin request policy, use UpdateOriginRequestPolicy.",
    )


def policy_in_use(kind: str) -> CloudFrontError:
    # Observed for cache policies: "CachePolicyInUse: The specified cache policy is currently associated
    # with a cache behavior. Please disassociate the policy before deleting." (anomalyco/ion issue 443).
    # ASSUMPTION: the origin request policy message has the same form.
    if kind == "cache":
        return CloudFrontError(
            "CachePolicyInUse",
            "The specified cache policy is currently associated with a cache behavior. "
            "Please disassociate the policy before deleting.",
        )
    return CloudFrontError(
        "OriginRequestPolicyInUse",
        "The specified origin request policy is currently associated with a cache behavior. "
        "Please disassociate the policy before deleting.",
    )


QUOTAS_SENTENCE = (
    "For more information, see Quotas (formerly known as limits) in the Amazon CloudFront Developer Guide."
)


def too_many_policies(kind: str) -> CloudFrontError:
    # Quota "Cache policies per AWS account: 20" / "Origin request policies per AWS account: 20"
    # (CF-DG cloudfront-limits.html, General Quotas on Policies); code and message = API reference.
    label = "cache policies" if kind == "cache" else "origin request policies"
    code = "TooManyCachePolicies" if kind == "cache" else "TooManyOriginRequestPolicies"
    return CloudFrontError(
        code,
        f"You have reached the maximum number of {label} for this Amazon Web Services account. "
        + QUOTAS_SENTENCE,
    )


def too_many_in_policy(kind: str, what: str) -> CloudFrontError:
    # Quota 10 headers / cookies / query strings per policy (CF-DG cloudfront-limits.html); code (e.g.
    # TooManyHeadersInCachePolicy) and message = API reference. ``what``: Headers, Cookies or QueryStrings.
    policy = "CachePolicy" if kind == "cache" else "OriginRequestPolicy"
    label = "cache policy" if kind == "cache" else "origin request policy"
    noun = {"Headers": "headers", "Cookies": "cookies", "QueryStrings": "query strings"}[what]
    return CloudFrontError(
        f"TooMany{what}In{policy}",
        f"The number of {noun} in the {label} exceeds the maximum. {QUOTAS_SENTENCE}",
    )


def managed_policy_update() -> CloudFrontError:
    # API reference description of IllegalUpdate; managed policies are read-only (CF-DG
    # using-managed-cache-policies.html: "you don't need to write or maintain" them).
    return CloudFrontError("IllegalUpdate", "The update contains modifications that are not allowed.")


def managed_policy_delete() -> CloudFrontError:
    # API reference description of IllegalDelete.
    return CloudFrontError("IllegalDelete", "Deletion is not allowed for this entity.")


def caching_disabled_parameter(parameter: str) -> CloudFrontError:
    # Observed: "The parameter EnableAcceptEncodingGzip is invalid for policy with caching disabled."
    # (aws-cdk issues 13441 and 16977; ballPointPenguin/artificial-u pull request 116) and
    # "The parameter HeaderBehavior is invalid for policy with caching disabled." (sladg/nextjs-lambda
    # pull request 89). ASSUMPTION: CookieBehavior, QueryStringBehavior and EnableAcceptEncodingBrotli get
    # the same sentence.
    return invalid_argument(f"The parameter {parameter} is invalid for policy with caching disabled.")


# --- distributions -----------------------------------------------------------------------------------


def no_such_distribution() -> CloudFrontError:
    return CloudFrontError("NoSuchDistribution", "The specified distribution does not exist.")


def distribution_already_exists(distribution_id: str) -> CloudFrontError:
    # moto 5.2.5's wording for the same check.
    return CloudFrontError(
        "DistributionAlreadyExists",
        "The caller reference that you are using to create a distribution is associated with another "
        f"distribution. Already exists: {distribution_id}",
    )


def no_such_origin() -> CloudFrontError:
    # moto 5.2.5's wording; code from the API reference.
    return CloudFrontError("NoSuchOrigin", "One or more of your origins or origin groups do not exist.")


def forwarded_values_required() -> CloudFrontError:
    # Observed: "InvalidArgument: The parameter ForwardedValues is required."
    # (hashicorp/terraform-provider-aws pull request 29015).
    return invalid_argument("The parameter ForwardedValues is required.")


def forwarded_values_with_cache_policy() -> CloudFrontError:
    # Observed: "InvalidArgument: The parameter ForwardedValues cannot be used when a cache policy is
    # associated to the cache behavior." (terraform-aws-modules/terraform-aws-cloudfront issue 71).
    return invalid_argument(
        "The parameter ForwardedValues cannot be used when a cache policy is associated "
        "to the cache behavior."
    )


def origin_request_policy_without_cache_policy() -> CloudFrontError:
    # Observed: "InvalidArgument: The parameter Origin request policy cannot be attached without a cache
    # policy." (pulumi/docs pull request 18352).
    return invalid_argument("The parameter Origin request policy cannot be attached without a cache policy.")


def invalid_function_association(message: str) -> CloudFrontError:
    # Code from the API reference ("A CloudFront function association is invalid."). FunctionAssociations
    # must name functions "published to the LIVE stage" (API reference, FunctionAssociations).
    # ASSUMPTION: the detail sentence; AWS's exact wording was not found.
    return CloudFrontError("InvalidFunctionAssociation", message)


def cname_without_certificate() -> CloudFrontError:
    # Observed (cloudposse/terraform-aws-cloudfront-s3-cdn pull request 72).
    return CloudFrontError(
        "InvalidViewerCertificate",
        "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted "
        "certificate that validates your authorization to use the domain name. For more details, see: "
        + CNAME_REQUIREMENTS,
    )


def certificate_does_not_cover(alias: str) -> CloudFrontError:
    # Observed (hashicorp/terraform-provider-aws issue 13828); ``alias`` is not part of AWS's sentence.
    del alias
    return CloudFrontError(
        "InvalidViewerCertificate",
        "The certificate that is attached to your distribution doesn't cover the alternate domain name "
        "(CNAME) that you're trying to add. For more details, see: " + CNAME_REQUIREMENTS,
    )


def certificate_not_usable() -> CloudFrontError:
    # ASSUMPTION: wording. The rule itself is documented: the ACM certificate must be in us-east-1 and
    # valid (API reference ViewerCertificate.ACMCertificateArn; CF-DG cnames-and-https-requirements.html).
    return CloudFrontError(
        "InvalidViewerCertificate",
        "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
        "or doesn't include a valid certificate chain.",
    )


def cname_already_exists() -> CloudFrontError:
    # Code and status (409) from the API reference; an alias belongs to one distribution at a time
    # (CF-DG CNAMEs.html). ASSUMPTION: wording.
    return CloudFrontError(
        "CNAMEAlreadyExists",
        "One or more of the CNAMEs you provided are already associated with a different resource.",
    )


def invalid_origin_read_timeout() -> CloudFrontError:
    # Out of 1-120 s (API reference CustomOriginConfig), or above the account's quota (60 s by default, CF-DG
    # cloudfront-limits.html); message = API reference description of InvalidOriginReadTimeout.
    return CloudFrontError(
        "InvalidOriginReadTimeout", "The read timeout specified for the origin is not valid."
    )


def invalid_origin_keepalive_timeout() -> CloudFrontError:
    # Range 1-60 s (CF-DG distribution-web-values-specify.html, "Origin keep-alive timeout"); message = API
    # reference description of InvalidOriginKeepaliveTimeout.
    return CloudFrontError(
        "InvalidOriginKeepaliveTimeout", "The keep alive timeout specified for the origin is not valid."
    )


def too_many_origin_custom_headers() -> CloudFrontError:
    # Quota: 10 custom headers per origin (CF-DG cloudfront-limits.html); code from the API reference.
    return CloudFrontError(
        "TooManyOriginCustomHeaders", "Your request contains too many origin custom headers."
    )


def illegal_caller_reference_change() -> CloudFrontError:
    # UpdateDistribution: the CallerReference cannot change (API reference UpdateDistribution, "you can't
    # change the value of CallerReference"); IllegalUpdate is the listed error for forbidden changes.
    return CloudFrontError("IllegalUpdate", "The update contains modifications that are not allowed.")


def distribution_not_disabled() -> CloudFrontError:
    # Observed: "DistributionNotDisabled: The distribution you are trying to delete has not been disabled."
    # (rebuy-de/aws-nuke issue 325).
    return CloudFrontError(
        "DistributionNotDisabled", "The distribution you are trying to delete has not been disabled."
    )


def ttl_order() -> CloudFrontError:
    # Legacy behaviours: MinTTL <= DefaultTTL <= MaxTTL. Code and message = API reference (InvalidTTLOrder,
    # listed by CreateDistribution and UpdateDistribution).
    return CloudFrontError("InvalidTTLOrder", "The TTL order specified is not valid.")


# --- functions ---------------------------------------------------------------------------------------


def no_such_function(name: str) -> CloudFrontError:
    # moto 5.2.5's wording; code and status (404) from the API reference.
    return CloudFrontError("NoSuchFunctionExists", f"The function {name} does not exist.")


def function_already_exists(name: str) -> CloudFrontError:
    # moto 5.2.5's wording; code and status (409) from the API reference.
    return CloudFrontError(
        "FunctionAlreadyExists",
        "The function name that you are using to create a function is associated with another function. "
        f"Already exists: {name}",
    )


def function_in_use(name: str, distributions: int) -> CloudFrontError:
    # Observed: "FunctionInUse: Cannot delete function frontend_response, it is in use by 1 distributions"
    # (hashicorp/terraform-provider-aws issue 21730; anomalyco/ion issue 443).
    return CloudFrontError(
        "FunctionInUse", f"Cannot delete function {name}, it is in use by {distributions} distributions"
    )


def function_not_published(name: str) -> CloudFrontError:
    # A function has no LIVE stage until PublishFunction (API reference PublishFunction, DescribeFunction).
    # ASSUMPTION: code and wording for reading the LIVE stage of a never-published function.
    return CloudFrontError("NoSuchFunctionExists", f"The function {name} does not exist in the LIVE stage.")


def function_too_large() -> CloudFrontError:
    # Quota: a CloudFront function is at most 10 KB (CF-DG cloudfront-limits.html, CloudFront Functions);
    # code, status (413) and message = API reference.
    return CloudFrontError("FunctionSizeLimitExceeded", f"The function is too large. {QUOTAS_SENTENCE}")


def test_function_failed(message: str) -> CloudFrontError:
    # Code and status (500) from the API reference (TestFunctionFailed).
    return CloudFrontError("TestFunctionFailed", message)


# --- invalidations -----------------------------------------------------------------------------------


def invalid_invalidation_paths() -> CloudFrontError:
    # Observed for a path without the leading "/": "InvalidArgument: Your request contains one or more invalid
    # invalidation paths." (rust-lang/promote-release pull request 94; milliHQ/terraform-aws-next-js issue
    # 169). ASSUMPTION: the same answer for the other documented path rules (wildcard not last, over 4,000
    # characters) and for a batch without paths.
    return invalid_argument("Your request contains one or more invalid invalidation paths.")


def invalidation_caller_reference_reused() -> CloudFrontError:
    # The API reference (InvalidationBatch.CallerReference) names "InvalidationBatchAlreadyExists" for a
    # CallerReference reused with other paths, but botocore's model defines no such error and
    # CreateInvalidation does not list it. What AWS answers, in public reports: "InvalidArgument: Your request
    # contains a caller reference that was used for a previous invalidation batch for the same distribution."
    # (jonls/s3-deploy-website issue 26; aws/aws-cdk issue 3878). The reports win.
    return invalid_argument(
        "Your request contains a caller reference that was used for a previous invalidation batch "
        "for the same distribution."
    )


def too_many_invalidations_in_progress() -> CloudFrontError:
    # Code, status (400) and message = API reference (TooManyInvalidationsInProgress).
    return CloudFrontError(
        "TooManyInvalidationsInProgress",
        "You have exceeded the maximum number of allowable InProgress invalidation batch requests, "
        "or invalidation objects.",
    )


def no_such_invalidation() -> CloudFrontError:
    # moto 5.2.5's wording; code and status (404) from the API reference.
    return CloudFrontError("NoSuchInvalidation", "The specified invalidation does not exist.")
