"""An ALB HTTPS listener's SslPolicy as a real OpenSSL server context: the protocol versions and ciphers
the policy names, and nothing else.

Source: ELB user guide for Application Load Balancers, "Security policies for your Application Load
Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html),
whose tables give, per policy, the TLS protocols and ciphers; the older copy of the same tables is in
awsdocs/elb-application-load-balancers-user-guide, doc_source/create-https-listener.md ("Security
Policies"). ELBSecurityPolicy-2015-05 is "identical to ELBSecurityPolicy-2016-08" (same page). The policies
whose names end in -PQ-2025-09 differ from their 2021-06 namesakes only by the hybrid post-quantum key
exchange they add (same page: "Security policies with PQ in their names offer hybrid post-quantum key
exchange"); the key exchange groups are not modelled here.

The table is ours, not moto's: moto 5.2.5's DescribeSSLPolicies data disagrees with the guide for at least
ELBSecurityPolicy-TLS13-1-2-Res-2021-06 (moto: TLSv1 to TLSv1.2; the guide: TLSv1.2 and TLSv1.3). Which
names exist is still moto's call (CreateListener and ModifyListener refuse others with SSLPolicyNotFound);
tests/test_express_alb_pure.py checks that every name moto accepts is in this table.

Limits of the local model (docs/behaviours.md, "Express shared ALB"):
- TLS 1.3 cipher suites cannot be narrowed per context by Python's ssl module; every TLS 1.3 policy of the
  guide offers exactly OpenSSL's three defaults (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256), so nothing is lost for the policies in this table.
- The local CA issues ECDSA leaf certificates (trustme), so only the ECDHE-ECDSA-* ciphers of a policy can
  be negotiated; the RSA ones are configured but have no RSA key to use. Every policy has ECDHE-ECDSA ones.
- SSLv3 is in no ALB policy; OpenSSL 3 cannot speak it anyway.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from hostlab.local.dataplane.tls import restrict_versions

# Cipher groups, in the guide's order of preference, named by what they have in common.
TLS13 = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
ECDHE_GCM = (
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
)
ECDHE_SHA2 = (
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384",
)
ECDHE_SHA1 = (
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA",
)
RSA_SHA2 = ("AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256")
RSA_SHA1 = ("AES128-SHA", "AES256-SHA")
TRIPLE_DES = ("DES-CBC3-SHA",)

TLS10_12 = ("TLSv1", "TLSv1.1", "TLSv1.2")
TLS11_12 = ("TLSv1.1", "TLSv1.2")
TLS12 = ("TLSv1.2",)
TLS12_13 = ("TLSv1.2", "TLSv1.3")

LEGACY = ECDHE_SHA2 + ECDHE_SHA1 + RSA_SHA2 + RSA_SHA1  # the 2016-08 set
FORWARD_SECRET = ECDHE_SHA2 + ECDHE_SHA1


@dataclass(frozen=True)
class SslPolicy:
    name: str
    protocols: tuple[str, ...]  # AWS's names, as DescribeSSLPolicies spells them (TLSv1, TLSv1.1, ...)
    ciphers: tuple[str, ...]  # OpenSSL names; TLS 1.3 suites included as the guide lists them

    @property
    def openssl_ciphers(self) -> str:
        """The TLS 1.2-and-below part, for SSLContext.set_ciphers."""
        return ":".join(c for c in self.ciphers if not c.startswith("TLS_"))


def _policies(*rows: tuple[str, tuple[str, ...], tuple[str, ...]]) -> dict[str, SslPolicy]:
    return {name: SslPolicy(name, protocols, ciphers) for name, protocols, ciphers in rows}


POLICIES: dict[str, SslPolicy] = _policies(
    # The default for listeners created through the API, CLI, CloudFormation and CDK (same page).
    ("ELBSecurityPolicy-2016-08", TLS10_12, LEGACY),
    ("ELBSecurityPolicy-2015-05", TLS10_12, LEGACY),
    ("ELBSecurityPolicy-TLS-1-0-2015-04", TLS10_12, LEGACY + TRIPLE_DES),
    ("ELBSecurityPolicy-TLS-1-1-2017-01", TLS11_12, LEGACY),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", TLS12, ECDHE_SHA2 + RSA_SHA2),
    ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", TLS12, LEGACY),
    ("ELBSecurityPolicy-FS-2018-06", TLS10_12, FORWARD_SECRET),
    ("ELBSecurityPolicy-FS-1-1-2019-08", TLS11_12, FORWARD_SECRET),
    ("ELBSecurityPolicy-FS-1-2-2019-08", TLS12, FORWARD_SECRET),
    ("ELBSecurityPolicy-FS-1-2-Res-2019-08", TLS12, ECDHE_SHA2),
    ("ELBSecurityPolicy-FS-1-2-Res-2020-10", TLS12, ECDHE_GCM),
    ("ELBSecurityPolicy-TLS13-1-3-2021-06", ("TLSv1.3",), TLS13),
    ("ELBSecurityPolicy-TLS13-1-2-2021-06", TLS12_13, TLS13 + ECDHE_SHA2),
    ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", TLS12_13, TLS13 + ECDHE_GCM),
    ("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", TLS12_13, TLS13 + ECDHE_SHA2 + RSA_SHA2),
    ("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", TLS12_13, TLS13 + LEGACY),
    ("ELBSecurityPolicy-TLS13-1-1-2021-06", ("TLSv1.1", *TLS12_13), TLS13 + LEGACY),
    ("ELBSecurityPolicy-TLS13-1-0-2021-06", (*TLS10_12, "TLSv1.3"), TLS13 + LEGACY),
)
# The 2025-09 post-quantum variants: same protocols and ciphers as their 2021-06 namesakes (module docstring).
for _base in ("TLS13-1-3", "TLS13-1-2", "TLS13-1-2-Res", "TLS13-1-2-Ext1", "TLS13-1-2-Ext2", "TLS13-1-1",
              "TLS13-1-0"):
    _old = POLICIES[f"ELBSecurityPolicy-{_base}-2021-06"]
    _name = f"ELBSecurityPolicy-{_base}-PQ-2025-09"
    POLICIES[_name] = SslPolicy(_name, _old.protocols, _old.ciphers)
del _base, _old, _name


class UnknownPolicy(KeyError):
    pass


def policy(name: str) -> SslPolicy:
    try:
        return POLICIES[name]
    except KeyError:
        raise UnknownPolicy(name) from None


def restrict_context(ctx: ssl.SSLContext, name: str) -> ssl.SSLContext:
    """Make ``ctx`` (a server context) accept exactly what SslPolicy ``name`` accepts."""
    chosen = policy(name)
    restrict_versions(ctx, chosen.protocols)
    # restrict_versions lowers the security level for TLS 1.0/1.1 with DEFAULT ciphers; the policy's own list
    # replaces DEFAULT, keeping level 0 for those versions so that they can really be negotiated.
    level = ":@SECLEVEL=0" if {"TLSv1", "TLSv1.1"} & set(chosen.protocols) else ""
    if chosen.openssl_ciphers:
        ctx.set_ciphers(chosen.openssl_ciphers + level)
    # The server's order decides (the guide: "the first cipher on the server's list that matches any one of
    # the client's ciphers is selected").
    ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    return ctx
