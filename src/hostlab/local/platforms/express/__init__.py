"""ECS Express Mode's control plane on the local backend.

The four Express operations, ListServices' ``resourceManagementType`` and DescribeServiceRevisions'
``ecsManagedResources`` are answered here (responses.py, backend.py); the resources Express manages (the
shared ALB, its HTTPS listener and SslPolicy, a host-header rule and two target groups per service, the
security groups, the ACM certificate, the log group, the ECS cluster, task definition and service) are made
in moto's own ECS, ELBv2, EC2, ACM and CloudWatch Logs backends through their public APIs (resources.py), so
the real APIs show them and the data plane reads them like any other. Each service's task is the demo app,
run as a local process and registered as the target of its primary target group (tasks.py).
"""
