"""Personal data (Decree 13/2023/NĐ-CP): the ``[privacy]`` retention purge, erasure on request and
a citizen's copy of their data; ``wardbot privacy``."""

from ._privacy import AUDIT_FILE, Privacy

__all__ = ("AUDIT_FILE", "Privacy")
