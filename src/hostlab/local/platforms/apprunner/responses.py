"""App Runner's JSON 1.0 API (X-Amz-Target: AppRunner.<Operation>) on top of :mod:`.apprunner`.

moto parses each request with botocore's apprunner model and serializes each result with it, so shapes,
timestamps and error bodies are the model's. This layer checks the model constraints botocore leaves to the
server, picks the backend of the caller's account and region, and shapes results.
"""

from __future__ import annotations

from typing import Any

from hostlab.local.controlplane.moto_glue import ActionResult, BaseResponse, EmptyResult
from hostlab.local.platforms.apprunner.backend import AppRunnerBackend, apprunner_backends
from hostlab.local.platforms.apprunner.errors import InvalidRequestException
from hostlab.local.platforms.apprunner.models import OPERATION_IN_PROGRESS, CustomDomain, Service
from hostlab.local.platforms.apprunner.rules import page, validate_input


class AppRunnerResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="apprunner")
        # moto parses the JSON body against botocore's model into self.params.
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> AppRunnerBackend:
        try:
            return apprunner_backends[self.current_account][self.region]
        except KeyError:
            # Real clients cannot even resolve an App Runner endpoint in such a region; locally the request
            # arrives, so say plainly why it fails.
            raise InvalidRequestException(f"App Runner is not available in region {self.region}") from None

    def _input(self) -> dict[str, Any]:
        params = dict(self.params or {})
        validate_input(self._get_action(), params)
        return params

    # -- services -------------------------------------------------------------------------------------

    @staticmethod
    def _changed(service: Service, started: float, operation_id: str) -> ActionResult:
        # Create/Update/Delete/Pause/Resume answer with the service as the operation starts: the CLI
        # reference's create-service output shows "Status": "OPERATION_IN_PROGRESS" next to the OperationId.
        return ActionResult(
            {"Service": service.describe(started, status=OPERATION_IN_PROGRESS), "OperationId": operation_id}
        )

    def create_service(self) -> ActionResult:
        service, operation = self.backend.create_service(self._input())
        return self._changed(service, operation.started, operation.id)

    def describe_service(self) -> ActionResult:
        service, now = self.backend.describe_service(self._input()["ServiceArn"])
        return ActionResult({"Service": service.describe(now)})

    def list_services(self) -> ActionResult:
        params = self._input()
        services, now = self.backend.list_services()
        chosen, token = page(services, params.get("MaxResults"), params.get("NextToken"))
        return ActionResult({"ServiceSummaryList": [s.summary(now) for s in chosen], "NextToken": token})

    def update_service(self) -> ActionResult:
        service, operation = self.backend.update_service(self._input())
        return self._changed(service, operation.started, operation.id)

    def delete_service(self) -> ActionResult:
        service, operation = self.backend.delete_service(self._input()["ServiceArn"])
        return self._changed(service, operation.started, operation.id)

    def pause_service(self) -> ActionResult:
        service, operation = self.backend.pause_service(self._input()["ServiceArn"])
        return self._changed(service, operation.started, operation.id)

    def resume_service(self) -> ActionResult:
        service, operation = self.backend.resume_service(self._input()["ServiceArn"])
        return self._changed(service, operation.started, operation.id)

    def list_operations(self) -> ActionResult:
        params = self._input()
        operations, now = self.backend.list_operations(params["ServiceArn"])
        chosen, token = page(operations, params.get("MaxResults"), params.get("NextToken"))
        return ActionResult({"OperationSummaryList": [o.summary(now) for o in chosen], "NextToken": token})

    # -- custom domains -------------------------------------------------------------------------------

    @staticmethod
    def _domain_result(service: Service, domain: CustomDomain, now: float) -> ActionResult:
        # DNSTarget is the service's own subdomain (API_AssociateCustomDomain: "The App Runner subdomain of
        # the App Runner service. The custom domain name is mapped to this target name.").
        return ActionResult(
            {
                "DNSTarget": service.url,
                "ServiceArn": service.arn,
                "CustomDomain": domain.describe(now),
                "VpcDNSTargets": [],
            }
        )

    def associate_custom_domain(self) -> ActionResult:
        params = self._input()
        # API_AssociateCustomDomain, EnableWWWSubdomain: "Default: true".
        www = params.get("EnableWWWSubdomain")
        service, domain, now = self.backend.associate_custom_domain(
            params["ServiceArn"], params["DomainName"], True if www is None else www
        )
        return self._domain_result(service, domain, now)

    def describe_custom_domains(self) -> ActionResult:
        params = self._input()
        service, domains, now = self.backend.describe_custom_domains(params["ServiceArn"])
        chosen, token = page(domains, params.get("MaxResults"), params.get("NextToken"))
        return ActionResult(
            {
                "DNSTarget": service.url,
                "ServiceArn": service.arn,
                "CustomDomains": [d.describe(now) for d in chosen],
                "VpcDNSTargets": [],
                "NextToken": token,
            }
        )

    def disassociate_custom_domain(self) -> ActionResult:
        params = self._input()
        service, domain, now = self.backend.disassociate_custom_domain(
            params["ServiceArn"], params["DomainName"]
        )
        return self._domain_result(service, domain, now)

    # -- tags -----------------------------------------------------------------------------------------

    def tag_resource(self) -> EmptyResult:
        params = self._input()
        self.backend.tag_resource(params["ResourceArn"], params["Tags"])
        return EmptyResult()

    def untag_resource(self) -> EmptyResult:
        params = self._input()
        self.backend.untag_resource(params["ResourceArn"], params["TagKeys"])
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"Tags": self.backend.list_tags_for_resource(self._input()["ResourceArn"])})
