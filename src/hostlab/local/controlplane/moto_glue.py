"""The one module that touches moto's internals (moto==5.2.5, pinned in requirements.txt).

Everything else in the control plane imports moto's building blocks from here, so a moto upgrade that
moves or changes them breaks here, and tests/test_moto_glue.py says so naming the moto version.

Sections: shared building blocks; App Runner registration; CloudFront extensions.
"""

from __future__ import annotations

from hostlab.settings import Settings

# ---------------------------------------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------------------
# App Runner: a new service registered into moto's backends and its server's dispatcher
# ---------------------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------------------
# CloudFront: cache/origin request policies, FunctionAssociations, ETags, IfMatch, PublishFunction
# ---------------------------------------------------------------------------------------------------------


def install(settings: Settings) -> None:
    """Apply every extension. Idempotent."""
