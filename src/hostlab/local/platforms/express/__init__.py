"""ECS Express Mode as a platform of the local backend.

Data plane (this package so far): the shared Application Load Balancers Express Mode puts in front of its
services, read through the ELBv2, EC2 and ACM APIs.
    alb_front.py        the loopback listeners, TLS per SslPolicy, security groups, freshness
    alb_http.py         requests: rules, the hop to the targets, the load balancer's own answers
    alb_rules.py        listener rules as the API returns them, and which action a request gets (pure)
    alb_state.py        the snapshot read through the APIs, and which names lead to which load balancer
    ssl_policies.py     ELBSecurityPolicy-* names -> protocols and ciphers (pure)
    security_groups.py  inbound rules and managed prefix lists -> allowed or not (pure)
"""
