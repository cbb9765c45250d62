"""The local backend: a background process serving the AWS API (moto + extensions) and a data plane.

Nothing here is imported when ``HOSTLAB_BACKEND=aws``.
"""
