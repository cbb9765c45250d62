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

Data plane: the shared Application Load Balancers Express Mode puts in front of its
services, read through the ELBv2, EC2 and ACM APIs.
    alb_front.py        the loopback listeners, TLS per SslPolicy, security groups, freshness
    alb_http.py         requests: rules, the hop to the targets, the load balancer's own answers
    alb_rules.py        listener rules as the API returns them, and which action a request gets (pure)
    alb_state.py        the snapshot read through the APIs, and which names lead to which load balancer
    ssl_policies.py     ELBSecurityPolicy-* names -> protocols and ciphers (pure)
    security_groups.py  inbound rules and managed prefix lists -> allowed or not (pure)
"""
