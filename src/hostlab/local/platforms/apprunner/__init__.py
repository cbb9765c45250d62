"""App Runner, locally: its control-plane extension and its front in the data plane.

    controlplane.py  register(settings): App Runner's API on moto's server (the seam's control_plane)
    backend.py       the service's backend: services, custom domains, operations, tags
    models.py        Service, CustomDomain and their ARNs, URLs and statuses
    rules.py         input checks against botocore's App Runner model, paging
    errors.py        App Runner's error codes
    responses.py     the JSON 1.0 protocol: one method per operation
    front.py         the shared front (the seam's front): Host routing, TLS, its freshness rule
    front_http.py    the front's HTTP side: what it adds, forwards and answers
    front_state.py   what the App Runner API says, as a routing table
    deployment.py    how the demo app is deployed on App Runner: a service's SourceConfiguration read as
                     the neutral RuntimeConfig that hostlab.local.dataplane.apps runs

The control plane imports moto only through hostlab.local.controlplane.moto_glue; the front reads App
Runner's state only through boto3 against the local endpoint.
"""
