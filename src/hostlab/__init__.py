"""hostlab: the support package of the tutorial "CloudFront + App Runner: solving the host problem".

Notebooks call :func:`connect` once; everything else they do is plain boto3 and requests.
"""

from hostlab.backend import connect

__all__ = ["connect"]
__version__ = "0.1.0"
