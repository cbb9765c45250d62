"""ECS Express Mode as a platform of the local backend.

Control plane: the four Express operations, ListServices' ``resourceManagementType`` and
DescribeServiceRevisions' ``ecsManagedResources`` are answered here; the resources Express manages (the
shared ALB, its HTTPS listener and SslPolicy, a host-header rule and two target groups per service, the
security groups, the ACM certificate, the log group, the ECS cluster, task definition and service) are made
in moto's own ECS, ELBv2, EC2, ACM and CloudWatch Logs backends through their public APIs, so the real APIs
show them and the data plane reads them like any other. Each service's task is the demo app, run as a local
process and registered as the target of its primary target group.
    controlplane.py   registration into moto's server (through hostlab.local.platforms.EXPRESS)
    responses.py      the ECS API with the Express operations
    backend.py        Express services per account and region: state, timing, the operations
    rules.py          what Create and Update accept, and the defaults (pure)
    resources.py      the managed resources, made and removed through the backend's own APIs
    tasks.py          the demo app as the service's task
    errors.py         the ECS error codes the operations answer with
"""
