"""ACM refuses to delete a certificate that a CloudFront distribution of the same account uses.

ACM refuses to delete a certificate while another AWS service uses it; whoever uses it must let go first
(ACM API reference, DeleteCertificate; ACM User Guide, gs-acm-delete.html; error ResourceInUseException).
moto deletes it anyway; the tutorial's cleanup order (distributions first,
then certificates) is only checked if the local backend refuses too. A distribution uses the certificate
while its ViewerCertificate names it, enabled or not, until the distribution is deleted. On AWS the refusal
can outlast the deletion by minutes (hostlab.tutorial.resources.CERTIFICATE_RELEASE_AWS); here it ends at
once.

The message follows what AWS sends, as quoted in public reports ("Certificate <arn> in account <account> is
in use.": hashicorp/terraform-provider-aws issue 3866, dfds/infrastructure-modules issue 5).

moto internals touched (moto 5.2.5, imported through moto_glue):
acm.models.AWSCertificateManagerBackend.delete_certificate and its
.account_id; cloudfront.models.cloudfront_backends (read with dict.get, never creating a backend);
core.exceptions.AWSError(message, exception_type). The distributions are this project's
(CloudFrontAccount.distributions, a DistributionStore, on the account's CloudFront backend as .hostlab).
"""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import AWSCertificateManagerBackend, AWSError, cloudfront_backends

_INSTALLED = "_hostlab_in_use"


def distributions_using(account_id: str, certificate_arn: str) -> list[str]:
    """IDs of the account's distributions whose ViewerCertificate names ``certificate_arn``."""
    account_backends = dict.get(cloudfront_backends, account_id)
    backend = dict.get(account_backends, "aws") if account_backends is not None else None
    store = getattr(getattr(backend, "hostlab", None), "distributions", None)
    if store is None:
        return []
    return [
        distribution.id
        for distribution in list(store.distributions.values())
        if (distribution.config.get("ViewerCertificate") or {}).get("ACMCertificateArn") == certificate_arn
    ]


def install() -> None:
    """Wrap moto's DeleteCertificate with the in-use check. Idempotent."""
    if getattr(AWSCertificateManagerBackend.delete_certificate, _INSTALLED, False):
        return
    original = AWSCertificateManagerBackend.delete_certificate

    def delete_certificate(self, arn: str) -> None:
        if arn in self._certificates and distributions_using(self.account_id, arn):
            raise AWSError(
                f"Certificate {arn} in account {self.account_id} is in use.",
                exception_type="ResourceInUseException",
            )
        original(self, arn)

    setattr(delete_certificate, _INSTALLED, True)
    AWSCertificateManagerBackend.delete_certificate = delete_certificate
