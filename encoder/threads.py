"""How many CPU threads torch and Qdrant's search use: here, apart from the model code, so
that opening the store does not import torch."""

from __future__ import annotations

import os


def cpu_threads(requested: int = 0) -> int:
    """Torch's intra-op threads for CPU inference: ``requested``, or half the cores (at least 1).

    Torch's default (every core) fights the request threads and Qdrant for the same cores: a
    second thread shortens a query a little but raises the CPU it costs (docs/design-figures.md),
    and CPU is what a loaded server runs out of.
    """
    return requested if requested > 0 else max(1, (os.cpu_count() or 2) // 2)
