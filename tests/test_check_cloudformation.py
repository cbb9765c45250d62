"""The CloudFormation reader of `hostlab check` (hostlab.check.inputs.cloudformation): intrinsic functions,
errors that name the file, line, property and construct, the CloudFormation -> API conversion with the
schema's defaults (checked against cfn-lint's copy of the registry schema and against the local backend's
CreateDistribution), origin hints, the source map (where/patch), and the fixtures of tests/fixtures/check/.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from terraform_check_support import with_issued_certificate

from hostlab.check import managed_policies
from hostlab.check.inputs import cfn_convert, cloudformation, read
from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    CUSTOM,
    EXPRESS,
    LAMBDA_URL,
    S3,
    SECRET_PLACEHOLDER,
    CheckInputError,
    function_ref,
    policy_ref,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "check"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"

DISTRIBUTION = """\
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - Id: app
            DomainName: {domain}
            CustomOriginConfig:
              OriginProtocolPolicy: https-only{origin_extra}
        DefaultCacheBehavior:
          TargetOriginId: app
          ViewerProtocolPolicy: redirect-to-https
          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad{behaviour_extra}
"""


def template(domain: str = "app.example.com", *, head: str = "", resources: str = "",
             origin_extra: str = "", behaviour_extra: str = "") -> str:
    """A small template: ``head`` before Resources, ``resources`` after the distribution."""
    body = DISTRIBUTION.format(domain=domain, origin_extra=origin_extra, behaviour_extra=behaviour_extra)
    return textwrap.dedent(head) + "Resources:\n" + body + textwrap.indent(textwrap.dedent(resources), "  ")


def one(text: str, params: dict | None = None, shown: str = "t.yaml"):
    (distribution,) = cloudformation.read_text(text, params or {}, shown)
    return distribution


def origin(distribution) -> dict:
    return distribution.config["Origins"]["Items"][0]


# --- intrinsic functions ---


def test_ref_to_a_parameter_takes_its_default_or_the_param():
    head = """\
    Parameters:
      Domain:
        Type: String
        Default: default.example.com
    """
    assert origin(one(template("!Ref Domain", head=head)))["DomainName"] == "default.example.com"
    given = one(template("!Ref Domain", head=head), {"Domain": "given.example.com"})
    assert origin(given)["DomainName"] == "given.example.com"


def test_pseudo_parameters_have_documented_stand_ins():
    pseudo = "${AWS::StackName}.${AWS::Region}.${AWS::AccountId}.${AWS::Partition}.${AWS::URLSuffix}"
    text = template(f'!Sub "{pseudo}"')
    assert origin(one(text))["DomainName"] == "hostlab-check.us-east-1.123456789012.aws.amazonaws.com"


def test_no_value_removes_the_property():
    extra = "\n          Compress: !Ref AWS::NoValue"
    behaviour = one(template(behaviour_extra=extra)).config["DefaultCacheBehavior"]
    assert behaviour["Compress"] is False  # the schema default, not a removed-then-missing value
    present = one(template(behaviour_extra="\n          Compress: true")).config["DefaultCacheBehavior"]
    assert present["Compress"] is True


def test_getatt_both_forms_and_ref_to_a_resource():
    resources = """\
    Service:
      Type: AWS::AppRunner::Service
      Properties: {}
    """
    short = origin(one(template("!GetAtt Service.ServiceUrl", resources=resources)))["DomainName"]
    long_form = origin(one(template("{'Fn::GetAtt': [Service, ServiceUrl]}", resources=resources)))
    assert short == long_form["DomainName"]
    assert short.endswith(".us-east-1.awsapprunner.com") and len(short.split(".")[0]) == 10
    ref = origin(one(template("!Ref Service", resources=resources)))["DomainName"]
    assert ref.startswith("service-")


def test_sub_with_a_variable_map_and_a_literal():
    text = template('!Sub ["${Name}.example.com/${!Literal}", {Name: !Join ["-", [a, b]]}]')
    assert origin(one(text))["DomainName"] == "a-b.example.com/${Literal}"


def test_join_select_split():
    text = template('!Select [1, !Split ["//", !Join ["", ["https://", "app.example.com"]]]]')
    assert origin(one(text))["DomainName"] == "app.example.com"


def test_if_with_conditions_equals_not_and_or_and_condition_references():
    head = """\
    Parameters:
      Env:
        Type: String
        Default: prod
      Extra:
        Type: String
        Default: ""
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
      HasExtra: !Not [!Equals [!Ref Extra, ""]]
      Both: !And [!Condition IsProd, !Condition HasExtra]
      Either: !Or [!Condition IsProd, !Condition HasExtra]
    """
    nested = "!If [Both, both.example.com, !If [Either, either.example.com, none.example.com]]"
    text = template(nested, head=head)
    assert origin(one(text))["DomainName"] == "either.example.com"
    assert origin(one(text, {"Extra": "x"}))["DomainName"] == "both.example.com"
    assert origin(one(text, {"Env": "dev"}))["DomainName"] == "none.example.com"


def test_findinmap_with_and_without_a_default():
    head = """\
    Mappings:
      Policies:
        Cache:
          Disabled: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad
    """
    extra = "\n          OriginRequestPolicyId: !FindInMap [Policies, Cache, Disabled]"
    assert one(template(head=head, behaviour_extra=extra)).config["DefaultCacheBehavior"][
        "OriginRequestPolicyId"] == CACHING_DISABLED
    fallback = "\n          OriginRequestPolicyId: !FindInMap [Policies, Cache, Other, {DefaultValue: x}]"
    assert one(template(head=head, behaviour_extra=fallback)).config["DefaultCacheBehavior"][
        "OriginRequestPolicyId"] == "x"


def test_base64_getazs_length_and_tojsonstring():
    text = template('!Join ["", [!Base64 "ab", ".", !Select [0, !GetAZs ""], ".", !ToJsonString {a: 1}]]')
    assert origin(one(text))["DomainName"] == 'YWI=.us-east-1a.{"a":1}'


def test_json_templates_are_read_with_lines():
    document = {
        "Resources": {
            "Cdn": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {"DistributionConfig": {
                    "Enabled": True,
                    "Origins": [{"Id": "app", "DomainName": {"Fn::Sub": "app.${AWS::Region}.example.com"},
                                 "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                    "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "allow-all",
                                             "CachePolicyId": CACHING_DISABLED},
                }},
            }
        }
    }
    distribution = one(json.dumps(document, indent=2), shown="t.json")
    assert origin(distribution)["DomainName"] == "app.us-east-1.example.com"
    where = distribution.source.where(("Origins", "Items", 0, "DomainName"))
    assert where.line is not None
    assert '"DomainName"' in json.dumps(document, indent=2).splitlines()[where.line - 1]


# --- errors: each names the file, line, property path and construct ---


def error_of(text: str, params: dict | None = None) -> str:
    with pytest.raises(CheckInputError) as raised:
        cloudformation.read_text(text, params or {}, "t.yaml")
    return str(raised.value)


def test_import_value_is_refused_with_its_place():
    text = template("!ImportValue shared-domain")
    message = error_of(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "ImportValue" in row)
    assert message.startswith(f"t.yaml:{line}: ")
    assert "Resources.Cdn.Properties.DistributionConfig.Origins[0].DomainName" in message
    assert "Fn::ImportValue" in message


def test_getatt_to_a_resource_not_in_the_template():
    message = error_of(template("!GetAtt Elsewhere.ServiceUrl"))
    assert "Fn::GetAtt Elsewhere.ServiceUrl" in message and "not in the template" in message


def test_parameter_without_default_names_the_param_to_pass():
    head = """\
    Parameters:
      Domain:
        Type: String
    """
    message = error_of(template("!Ref Domain", head=head))
    assert "Ref Domain" in message and "--param Domain=VALUE" in message
    assert origin(one(template("!Ref Domain", head=head), {"Domain": "x.example.com"}))["DomainName"]


def test_an_unknown_param_is_refused():
    assert "--param Nope" in error_of(template(), {"Nope": "1"})


def test_ssm_parameter_types_need_a_param():
    head = """\
    Parameters:
      Domain:
        Type: AWS::SSM::Parameter::Value<String>
        Default: /app/domain
    """
    assert "SSM" in error_of(template("!Ref Domain", head=head))


def test_macros_are_refused_but_the_sam_transform_is_noted():
    assert "Transform: MyMacro" in error_of("Transform: MyMacro\n" + template())
    sam = one("Transform: AWS::Serverless-2016-10-31\n" + template())
    assert any("AWS::Serverless-2016-10-31" in note for note in sam.notes)
    inline = template('{"Fn::Transform": {Name: MyMacro}}')
    assert "Fn::Transform MyMacro" in error_of(inline)


def with_header(text: str, value: str) -> str:
    """The template with one origin custom header X-Secret whose HeaderValue is ``value``."""
    header = ("            OriginCustomHeaders:\n              - HeaderName: X-Secret\n"
              f"                HeaderValue: {value}\n")
    return text.replace("        DefaultCacheBehavior:\n", header + "        DefaultCacheBehavior:\n", 1)


def test_dynamic_references_only_in_origin_header_values():
    distribution = one(with_header(template(), "'{{resolve:secretsmanager:origin:SecretString:value}}'"))
    headers = origin(distribution)["CustomHeaders"]["Items"]
    assert headers == [{"HeaderName": "X-Secret", "HeaderValue": SECRET_PLACEHOLDER}]
    assert any("dynamic reference" in note for note in distribution.notes)
    assert "dynamic reference" in error_of(template("'{{resolve:ssm:/app/domain}}'"))


def test_noecho_without_value_only_in_origin_header_values():
    head = """\
    Parameters:
      Secret:
        Type: String
        NoEcho: true
    """
    text = with_header(template(head=head), "!Ref Secret")
    distribution = one(text)
    assert origin(distribution)["CustomHeaders"]["Items"][0]["HeaderValue"] == SECRET_PLACEHOLDER
    assert any("NoEcho parameter Secret" in note for note in distribution.notes)
    assert "--param Secret=VALUE" in error_of(template("!Ref Secret", head=head))


def test_lambda_edge_and_origin_groups_are_refused_by_name():
    lambda_edge = ("\n          LambdaFunctionAssociations:\n            - EventType: origin-request\n"
                   "              LambdaFunctionARN: arn:aws:lambda:us-east-1:123456789012:function:f:1")
    message = error_of(template(behaviour_extra=lambda_edge))
    assert "DefaultCacheBehavior.LambdaFunctionAssociations" in message and "Lambda@Edge" in message
    empty = one(template(behaviour_extra="\n          LambdaFunctionAssociations: []"))
    assert empty.config["DefaultCacheBehavior"]["LambdaFunctionAssociations"] == {"Quantity": 0}
    document = yaml.safe_load(template())
    document["Resources"]["Cdn"]["Properties"]["DistributionConfig"]["OriginGroups"] = {
        "Quantity": 1,
        "Items": [{"Id": "group", "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [500]}},
                   "Members": {"Quantity": 1, "Items": [{"OriginId": "app"}]}}]}
    groups = json.dumps(document, indent=1)
    assert "OriginGroups" in error_of(groups)


def test_nested_stacks_and_serverless_only_matter_when_they_hold_the_distribution():
    nested = "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: x}\n"
    assert "nested stacks are not supported: Child" in error_of(nested)
    assert "AWS::Serverless" in error_of("Resources:\n  F:\n    Type: AWS::Serverless::Function\n")
    beside = one(template(resources="""\
    Child:
      Type: AWS::CloudFormation::Stack
      Properties: {TemplateURL: x}
    """))
    assert any("AWS::CloudFormation::Stack" in note for note in beside.notes)
    output = template("!GetAtt Child.Outputs.Domain", resources="""\
    Child:
      Type: AWS::CloudFormation::Stack
      Properties: {TemplateURL: x}
    """)
    assert "nested stacks are not supported" in error_of(output)


def test_legacy_origins_unknown_properties_and_bad_yaml():
    legacy = template().replace("        Enabled: true",
                                "        Enabled: true\n        CustomOrigin: {DNSName: x}")
    assert "legacy CustomOrigin" in error_of(legacy)
    unknown = template(behaviour_extra="\n          CachePolicyID: x")
    assert "DefaultCacheBehavior.CachePolicyID" in error_of(unknown)
    assert error_of("Resources:\n  A: [\n").startswith("t.yaml:")
    assert "unknown tag !Nope" in error_of(template("!Nope x"))
    assert "no AWS::CloudFront::Distribution" in error_of("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")


def test_a_behaviour_without_cache_policy_or_forwarded_values_is_refused():
    bare = template().replace("          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad\n", "")
    assert "DefaultCacheBehavior: CachePolicyId" in error_of(bare)
    legacy = bare + "          ForwardedValues: {QueryString: false}\n"
    assert one(legacy).config["DefaultCacheBehavior"]["ForwardedValues"]["Cookies"] == {"Forward": "none"}


def test_a_false_resource_condition_skips_the_distribution():
    head = """\
    Parameters:
      Create:
        Type: String
        Default: "no"
    Conditions:
      Creating: !Equals [!Ref Create, "yes"]
    """
    text = template(head=head).replace("    Type: AWS::CloudFront::Distribution",
                                       "    Type: AWS::CloudFront::Distribution\n    Condition: Creating")
    assert "no AWS::CloudFront::Distribution" in error_of(text)
    assert one(text, {"Create": "yes"}).name == "Cdn"


# --- conversion to the API's shape ---


def test_schema_defaults_fill_what_the_template_leaves_out():
    config = one(template()).config
    custom = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert custom["OriginSslProtocols"] == {"Quantity": 2, "Items": ["TLSv1", "SSLv3"]}
    assert (custom["HTTPPort"], custom["HTTPSPort"], custom["OriginReadTimeout"],
            custom["OriginKeepaliveTimeout"]) == (80, 443, 30, 5)
    assert config["HttpVersion"] == "http1.1" and config["PriceClass"] == "PriceClass_All"
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    written = one(template(origin_extra="\n              OriginSSLProtocols: [TLSv1.2]"))
    assert origin(written)["CustomOriginConfig"]["OriginSslProtocols"] == {"Quantity": 1,
                                                                           "Items": ["TLSv1.2"]}


def test_defaults_table_matches_cfn_lints_copy_of_the_registry_schema():
    """Every default hostlab fills is the schema's, converted to the API's shape."""
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::CloudFront::Distribution").schema
    definitions = schema["definitions"]
    api_to_cfn_definition = {"DistributionConfig": "DistributionConfig", "Origin": "Origin",
                             "CustomOriginConfig": "CustomOriginConfig", "S3OriginConfig": "S3OriginConfig",
                             "VpcOriginConfig": "VpcOriginConfig",
                             "DefaultCacheBehavior": "DefaultCacheBehavior",
                             "CacheBehavior": "CacheBehavior", "ForwardedValues": "ForwardedValues",
                             "CustomErrorResponse": "CustomErrorResponse", "LoggingConfig": "Logging"}
    for api_shape_name, defaults in cfn_convert.DEFAULTS.items():
        definition = definitions[api_to_cfn_definition[api_shape_name]]["properties"]
        for api_member, api_default in defaults.items():
            cfn_name = cfn_convert.cfn_name(api_shape_name, api_member)
            schema_default = definition[cfn_name]["default"]
            api_shape = cfn_convert.shape(api_shape_name).members[api_member]
            if api_member == "AllowedMethods":
                assert api_default["Items"] == schema_default
                assert api_default["CachedMethods"]["Items"] == definition["CachedMethods"]["default"]
            elif api_member == "Restrictions":
                assert api_default["GeoRestriction"]["RestrictionType"] == \
                    schema_default["GeoRestriction"]["RestrictionType"]
            else:
                converted = cfn_convert.to_cfn(api_default, api_shape)
                assert converted == schema_default, (api_shape_name, api_member)


def test_lists_names_and_cached_methods_take_the_api_shape():
    extra = """
          AllowedMethods: [GET, HEAD, OPTIONS]
          CachedMethods: [GET, HEAD, OPTIONS]
          TrustedSigners: [self]
          ForwardedValues:
            QueryString: true
            Headers: [Host]
            Cookies: {Forward: whitelist, WhitelistedNames: [session]}"""
    text = template(behaviour_extra=extra).replace(
        "          CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad\n", "\n")
    text = text.replace("        Enabled: true", textwrap.indent(textwrap.dedent("""\
        Enabled: true
        IPV6Enabled: true
        Aliases: [www.example.com]
        Restrictions: {GeoRestriction: {RestrictionType: whitelist, Locations: [FR, DE]}}
        ViewerCertificate: {AcmCertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x,
                            SslSupportMethod: sni-only, MinimumProtocolVersion: TLSv1.2_2021}
        Logging: {Bucket: logs.s3.amazonaws.com}
        CustomErrorResponses:
          - {ErrorCode: 404, ResponseCode: 200, ResponsePagePath: /404.html}"""), "        "))
    config = one(text).config
    behaviour = config["DefaultCacheBehavior"]
    three = ["GET", "HEAD", "OPTIONS"]
    assert behaviour["AllowedMethods"] == {"Quantity": 3, "Items": three,
                                           "CachedMethods": {"Quantity": 3, "Items": three}}
    assert behaviour["TrustedSigners"] == {"Enabled": True, "Quantity": 1, "Items": ["self"]}
    assert behaviour["ForwardedValues"] == {
        "QueryString": True, "Headers": {"Quantity": 1, "Items": ["Host"]},
        "Cookies": {"Forward": "whitelist", "WhitelistedNames": {"Quantity": 1, "Items": ["session"]}}}
    assert (behaviour["MinTTL"], behaviour["DefaultTTL"], behaviour["MaxTTL"]) == (0, 86_400, 31_536_000)
    assert config["IsIPV6Enabled"] is True
    assert config["Aliases"] == {"Quantity": 1, "Items": ["www.example.com"]}
    assert config["Restrictions"]["GeoRestriction"] == {"RestrictionType": "whitelist", "Quantity": 2,
                                                        "Items": ["FR", "DE"]}
    assert config["ViewerCertificate"]["ACMCertificateArn"].endswith("/x")
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"
    assert config["Logging"] == {"Bucket": "logs.s3.amazonaws.com", "Enabled": True, "IncludeCookies": False,
                                 "Prefix": ""}
    assert config["CustomErrorResponses"]["Items"] == [
        {"ErrorCode": 404, "ResponseCode": "200", "ResponsePagePath": "/404.html", "ErrorCachingMinTTL": 300}]


def test_functions_and_custom_policies_defined_in_the_template():
    resources = """\
    Fn:
      Type: AWS::CloudFront::Function
      Properties:
        Name: fn
        AutoPublish: true
        FunctionConfig: {Comment: c, Runtime: cloudfront-js-2.0}
        FunctionCode: !Sub "function handler(e) { return e.request } // ${AWS::Region}"
    Cache:
      Type: AWS::CloudFront::CachePolicy
      Properties:
        CachePolicyConfig:
          Name: c
          MinTTL: 0
          DefaultTTL: 0
          MaxTTL: 0
          ParametersInCacheKeyAndForwardedToOrigin:
            EnableAcceptEncodingGzip: false
            HeadersConfig: {HeaderBehavior: whitelist, Headers: [Authorization]}
            CookiesConfig: {CookieBehavior: none}
            QueryStringsConfig: {QueryStringBehavior: none}
    Headers:
      Type: AWS::CloudFront::ResponseHeadersPolicy
      Properties:
        ResponseHeadersPolicyConfig:
          Name: h
          RemoveHeadersConfig: {Items: [{Header: Server}]}
    """
    extra = """
          FunctionAssociations: [{EventType: viewer-request, FunctionARN: !GetAtt Fn.FunctionARN}]
          ResponseHeadersPolicyId: !GetAtt Headers.Id"""
    text = template(resources=resources, behaviour_extra=extra).replace(
        "CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "CachePolicyId: !Ref Cache")
    distribution = one(text)
    behaviour = distribution.config["DefaultCacheBehavior"]
    assert behaviour["FunctionAssociations"]["Items"][0]["FunctionARN"] == function_ref("Fn")
    assert behaviour["CachePolicyId"] == policy_ref("Cache")
    function = distribution.functions["Fn"]
    assert function.runtime == "cloudfront-js-2.0" and function.code.endswith("// us-east-1")
    assert function.where.path == "Resources.Fn.Properties.FunctionCode" and function.where.line
    cache = distribution.policies["Cache"]
    assert cache.kind == "cache"
    assert cache.config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"] == {
        "HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Authorization"]}}
    assert distribution.policies["Headers"].config["RemoveHeadersConfig"] == {
        "Quantity": 1, "Items": [{"Header": "Server"}]}
    assert distribution.not_emulated == []


def test_functions_and_policies_from_elsewhere_are_not_emulated_not_dropped():
    extra = """
          OriginRequestPolicyId: 11111111-2222-3333-4444-555555555555
          FunctionAssociations:
            - {EventType: viewer-request, FunctionARN: "arn:aws:cloudfront::123456789012:function/other"}"""
    distribution = one(template(behaviour_extra=extra))
    paths = [path for path, _reason in distribution.not_emulated]
    assert ("DefaultCacheBehavior", "OriginRequestPolicyId") in paths
    assert ("DefaultCacheBehavior", "FunctionAssociations", "Items", 0, "FunctionARN") in paths
    assert one(template()).not_emulated == []  # a managed policy is known


# --- origin hints ---


@pytest.mark.parametrize(("resource", "domain", "kind"), [
    ("Type: AWS::AppRunner::Service", "!GetAtt Res.ServiceUrl", APPRUNNER),
    ("Type: AWS::ECS::ExpressGatewayService", "!GetAtt Res.Endpoint", EXPRESS),
    ("Type: AWS::ElasticLoadBalancingV2::LoadBalancer", "!GetAtt Res.DNSName", ALB),
    ("{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Type: network}}", "!GetAtt Res.DNSName",
     CUSTOM),
    ("Type: AWS::S3::Bucket", "!GetAtt Res.RegionalDomainName", S3),
    ("Type: AWS::ApiGateway::RestApi", '!Sub "${Res}.execute-api.${AWS::Region}.amazonaws.com"', API_GATEWAY),
    ("Type: AWS::Lambda::Url", '!Select [2, !Split ["/", !GetAtt Res.FunctionUrl]]', LAMBDA_URL),
])
def test_origin_kind_from_the_resource_the_domain_comes_from(resource, domain, kind):
    text = template(domain, resources=f"Res:\n  {resource}\n" if resource.startswith("Type") else
                    f"Res: {resource}\n")
    distribution = one(text)
    hint = distribution.origins["app"]
    assert hint.kind == kind and "Res" in hint.reason
    assert "/" not in origin(distribution)["DomainName"]


def test_a_parameter_domain_leaves_the_kind_to_the_domain_name():
    head = "Parameters:\n  D: {Type: String, Default: abc.us-east-1.awsapprunner.com}\n"
    hint = one(template("!Ref D", head=head)).origins["app"]
    assert hint.kind is None and hint.reason == "parameter D"


def test_app_runner_public_unless_its_ingress_says_otherwise():
    private = """\
    Res:
      Type: AWS::AppRunner::Service
      Properties:
        NetworkConfiguration:
          IngressConfiguration: {IsPubliclyAccessible: false}
    """
    hidden = one(template("!GetAtt Res.ServiceUrl", resources=private)).origins["app"]
    assert hidden.publicly_accessible is False
    public = "Res:\n  Type: AWS::AppRunner::Service\n"
    shown = one(template("!GetAtt Res.ServiceUrl", resources=public)).origins["app"]
    assert shown.publicly_accessible is True


def alb_with(ingress: str) -> str:
    return template("!GetAtt Lb.DNSName", head="""\
    Parameters:
      CloudFrontPrefixList: {Type: String, Default: pl-3b927c52}
    """, resources=f"""\
    Lb:
      Type: AWS::ElasticLoadBalancingV2::LoadBalancer
      Properties:
        SecurityGroups: [!GetAtt Sg.GroupId]
    Sg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: lb
        SecurityGroupIngress:
{textwrap.indent(textwrap.dedent(ingress), "          ")}
    """)


def test_alb_restricted_only_when_cloudfronts_prefix_list_is_the_only_source():
    only_cloudfront = ("- {IpProtocol: tcp, FromPort: 443, ToPort: 443,"
                       " SourcePrefixListId: !Ref CloudFrontPrefixList}")
    assert one(alb_with(only_cloudfront)).origins["app"].restricted_to_cloudfront is True
    also_open = only_cloudfront + "\n- {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}"
    assert one(alb_with(also_open)).origins["app"].restricted_to_cloudfront is False
    office = "- {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 203.0.113.0/24}"
    assert one(alb_with(office)).origins["app"].restricted_to_cloudfront is None


def test_express_restricted_when_the_tutorial_pattern_is_there():
    fixed = read(str(ROOT / "infra/express/cloudformation/cloudfront-express.yaml"))[0]
    broken = read(str(ROOT / "infra/express/cloudformation/cloudfront-express-broken.yaml"))[0]
    assert fixed.origins["express"].restricted_to_cloudfront is True
    assert broken.origins["express"].restricted_to_cloudfront is False
    without_revoke = (ROOT / "infra/express/cloudformation/cloudfront-express.yaml").read_text().replace(
        "  RevokeOpenIngress:\n    Type: Custom::RevokeOpenIngress", "  Other:\n    Type: Custom::Other")
    assert one(without_revoke).origins["express"].restricted_to_cloudfront is False


# --- the source map ---


def test_where_names_present_and_absent_properties_with_lines():
    text = template(origin_extra="\n              OriginSSLProtocols: [TLSv1]")
    distribution = one(text)
    lines = text.splitlines()
    present = distribution.source.where(("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols"))
    assert present.path == ("Resources.Cdn.Properties.DistributionConfig.Origins[0].CustomOriginConfig"
                            ".OriginSSLProtocols")
    assert present.present and "OriginSSLProtocols" in lines[present.line - 1]
    absent = distribution.source.where(("Origins", "Items", 0, "CustomOriginConfig", "OriginReadTimeout"))
    assert not absent.present and absent.path.endswith("CustomOriginConfig.OriginReadTimeout")
    assert "CustomOriginConfig" in lines[absent.line - 1]
    cached = distribution.source.where(("DefaultCacheBehavior", "AllowedMethods", "CachedMethods", "Items"))
    assert cached.path.endswith("DefaultCacheBehavior.CachedMethods") and not cached.present
    unknown = distribution.source.where(("DefaultCacheBehavior", "NoSuchThing"))
    assert unknown.path.endswith("DefaultCacheBehavior")


def test_patch_writes_cloudformation_names_and_shapes():
    distribution = one(template())
    tls = distribution.source.patch(("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols"),
                                    {"Quantity": 1, "Items": ["TLSv1.2"]})
    assert "OriginSSLProtocols: [TLSv1.2]" in tls.splitlines()
    assert "Origins[0].CustomOriginConfig" in tls.splitlines()[0]
    policy = distribution.source.patch(("DefaultCacheBehavior", "OriginRequestPolicyId"),
                                       managed_policies.MANAGED_POLICY_IDS["AllViewerExceptHostHeader"])
    assert policy.splitlines()[-1].endswith("  # Managed-AllViewerExceptHostHeader")
    assert yaml.safe_load(policy.splitlines()[-1]) == {
        "OriginRequestPolicyId": "b689b0a8-53d0-40ab-baf2-68738e2966ac"}
    errors = distribution.source.patch(("CustomErrorResponses",), {"Quantity": 1, "Items": [
        {"ErrorCode": 404, "ErrorCachingMinTTL": 0}]})
    parsed = yaml.safe_load("\n".join(errors.splitlines()[1:]))
    assert parsed == {"CustomErrorResponses": [{"ErrorCode": 404, "ErrorCachingMinTTL": 0}]}
    methods = distribution.source.patch(("DefaultCacheBehavior", "AllowedMethods"), {
        "Quantity": 2, "Items": ["GET", "HEAD"], "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}})
    assert yaml.safe_load("\n".join(methods.splitlines()[1:])) == {"AllowedMethods": ["GET", "HEAD"],
                                                                  "CachedMethods": ["GET", "HEAD"]}
    read_timeout = ("Origins", "Items", 0, "CustomOriginConfig", "OriginReadTimeout")
    timeout = distribution.source.patch(read_timeout, 60)
    assert timeout.splitlines()[-1] == "OriginReadTimeout: 60"


def test_patch_for_a_json_template_is_json():
    text = json.dumps(yaml.safe_load(template()))
    distribution = one(text, shown="t.json")
    patch = distribution.source.patch(("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols"),
                                      {"Quantity": 1, "Items": ["TLSv1.2"]})
    assert json.loads("{" + "\n".join(patch.splitlines()[1:]) + "}") == {"OriginSSLProtocols": ["TLSv1.2"]}


# --- the fixtures ---

FIXTURE_SHAPES = {  # fixture folder -> [(distribution, number of behaviours)]
    "aws-samples-cloudfront-dynamic-ota": [("OTADistribution", 1)],
    "rynop-abp-fargate-elb": [("CloudFront", 1)],
    "timothypage-cloudfront-alb-fargate": [("DistributionFargate", 1)],
    "tutorial-apprunner-cfn-broken": [("Distribution", 1)],
    "tutorial-apprunner-cfn-fixed": [("Distribution", 2)],
    "tutorial-express-cfn-broken": [("Distribution", 1)],
    "tutorial-express-cfn-fixed": [("Distribution", 2)],
}


def fixture_inputs(name: str):
    folder = FIXTURES / name
    expected = json.loads((folder / "expected.json").read_text())
    return read(str(folder / expected["input"]), params=expected["params"]), expected


@pytest.mark.parametrize("name", sorted(FIXTURE_SHAPES))
def test_each_fixture_parses_to_its_distributions_and_behaviours(name):
    distributions, expected = fixture_inputs(name)
    shapes = [(d.name, 1 + d.config.get("CacheBehaviors", {}).get("Quantity", 0)) for d in distributions]
    assert shapes == FIXTURE_SHAPES[name]
    assert {row["distribution"] for row in expected["expect"]} <= {d.name for d in distributions}
    assert (FIXTURES / name / "SOURCE.md").exists() or name.startswith("tutorial-")


def test_the_ota_fixture_needs_its_param_to_avoid_lambda_edge():
    with pytest.raises(CheckInputError, match=r"LambdaFunctionAssociations.*Lambda@Edge"):
        read(str(FIXTURES / "aws-samples-cloudfront-dynamic-ota" / "cloudformation_template.json"))


def test_the_tutorials_broken_and_fixed_templates_differ_where_the_post_says():
    (broken,), _ = fixture_inputs("tutorial-apprunner-cfn-broken")
    (fixed,), _ = fixture_inputs("tutorial-apprunner-cfn-fixed")
    tls = ("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols")
    assert broken.config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == [
        "TLSv1", "SSLv3"]
    assert not broken.source.where(tls).present and fixed.source.where(tls).present
    assert broken.config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER
    assert fixed.config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED
    shared_js = ROOT / "infra/cloudfront-function/forwarded-host.js"
    assert fixed.functions["ForwardedHostFunction"].code == shared_js.read_text()


# --- CreateDistribution accepts what the reader produces (the local backend) ---


def _create_placeholders(client, distribution, tag: str) -> dict:
    """Create the template's functions and policies on the backend; the config with their real IDs."""
    config = json.loads(json.dumps(distribution.config))
    replacements = {}
    for name, function in distribution.functions.items():
        created = client.create_function(Name=f"{tag}-{name}"[:64], FunctionCode=function.code.encode(),
                                         FunctionConfig={"Comment": "", "Runtime": function.runtime})
        etag = created["ETag"]
        client.publish_function(Name=f"{tag}-{name}"[:64], IfMatch=etag)
        replacements[function_ref(name)] = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    for name, policy in distribution.policies.items():
        policy_config = {**policy.config, "Name": f"{tag}-{name}"[:128]}
        if policy.kind == "cache":
            made = client.create_cache_policy(CachePolicyConfig=policy_config)["CachePolicy"]["Id"]
        elif policy.kind == "origin-request":
            made = client.create_origin_request_policy(OriginRequestPolicyConfig=policy_config)[
                "OriginRequestPolicy"]["Id"]
        else:
            continue
        replacements[policy_ref(name)] = made
    text = json.dumps(config)
    for placeholder, real in replacements.items():
        text = text.replace(json.dumps(placeholder), json.dumps(real))
    return json.loads(text)


@pytest.mark.parametrize("name", ["tutorial-apprunner-cfn-broken", "tutorial-apprunner-cfn-fixed",
                                  "tutorial-express-cfn-broken", "tutorial-express-cfn-fixed",
                                  "aws-samples-cloudfront-dynamic-ota"])
def test_create_distribution_accepts_the_converted_config(name, cloudfront, make_client):
    (distribution,), _ = fixture_inputs(name)
    # The fixed templates name an alias and its certificate: an issued one (in the same account) is
    # imported in its place.
    config = with_issued_certificate(_create_placeholders(cloudfront, distribution, name), name, make_client)
    created = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    stored = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert stored["Origins"] == config["Origins"] or stored["Origins"]["Items"][0]["DomainName"] == \
        config["Origins"]["Items"][0]["DomainName"]
    target = config["DefaultCacheBehavior"]["TargetOriginId"]
    assert stored["DefaultCacheBehavior"]["TargetOriginId"] == target


def test_create_distribution_refuses_a_config_the_reader_did_not_fill(account):
    """Negative control: without the defaults the reader fills (HTTPPort, HTTPSPort), the API says no."""
    (distribution,), _ = fixture_inputs("tutorial-apprunner-cfn-broken")
    config = json.loads(json.dumps(distribution.config))
    custom = config["Origins"]["Items"][0]["CustomOriginConfig"]
    del custom["HTTPPort"], custom["HTTPSPort"]
    import botocore.exceptions

    with pytest.raises((botocore.exceptions.ParamValidationError, botocore.exceptions.ClientError)):
        account.create_distribution(DistributionConfig=config)


# --- managed policies: the checker's table and the local backend's agree ---


def test_managed_policy_names_and_ids_match_the_local_backends_tables():
    from hostlab.local.controlplane.cloudfront_managed_policies import (
        MANAGED_CACHE_POLICIES,
        MANAGED_ORIGIN_REQUEST_POLICIES,
    )

    backend = {policy["Name"]: policy_id for policy_id, policy in
               {**MANAGED_CACHE_POLICIES, **MANAGED_ORIGIN_REQUEST_POLICIES}.items()}
    for name, policy_id in backend.items():
        assert managed_policies.MANAGED_POLICY_IDS[name] == policy_id
        assert managed_policies.MANAGED_POLICY_IDS[name.removeprefix("Managed-")] == policy_id
    # The backend has no response headers policies; the checker knows their IDs from the guide.
    checker_only = set(managed_policies.MANAGED_POLICY_NAMES) - set(backend.values())
    kinds = {managed_policies.MANAGED_POLICY_KINDS[policy_id] for policy_id in checker_only}
    assert kinds == {managed_policies.RESPONSE_HEADERS}
    optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert managed_policies.managed_policy_id("Managed-CachingOptimized") == optimized
    assert managed_policies.managed_policy_id("CachingOptimized") == optimized
    assert managed_policies.managed_policy_id("Managed-NoSuchPolicy") is None


def test_the_check_readers_do_not_import_the_local_backend():
    # The readers and what they share (check_shared.md); the engine (backend.py, standup.py) runs the local
    # backend by design.
    check = ROOT / "src/hostlab/check"
    sources = [*(check / "inputs").rglob("*.py"), check / "model.py", check / "managed_policies.py"]
    imports = ("from hostlab.local", "import hostlab.local", "from hostlab import local")
    assert not [path.name for path in sources if any(i in path.read_text() for i in imports)]
