"""One botocore data loader for the whole backend process.

botocore parses the JSON files it ships (service models, endpoint data) once per loader, and every botocore
session makes a loader of its own. The backend reads the same files from several sessions: moto's own (the
regions of every service backend, moto_glue), the control plane's enumerations
(controlplane/botocore_model.py) and the data plane's clients (dataplane/api_clients.py). On one loader each
file is parsed once per process:
the endpoint data alone took 37 ms of CPU per parse, and a backend start parsed it twice and CloudFront's
model twice (measured by counting botocore's JSON loads during ServerParts.start()).

botocore's loader caches what it loaded in a dict per instance (botocore/loaders.py, instance_cache); two
threads loading the same file at once both parse it, and either result is kept.
"""

from __future__ import annotations

import boto3.session
import botocore.loaders
import botocore.session

LOADER = botocore.loaders.create_loader()


def new_session() -> botocore.session.Session:
    """A botocore session of its own (sessions are not safe to share across threads while they make
    clients) that reads botocore's data through the process's one loader."""
    session = botocore.session.get_session()
    session.register_component("data_loader", LOADER)
    return session


def new_boto3_session() -> boto3.session.Session:
    """A boto3 Session of its own on the process's one loader (see new_session)."""
    return boto3.session.Session(botocore_session=new_session())
