"""csrb-auditor core: config, snapshot, engine and reporters.

The core never imports a connector or a rule pack; it finds them through entry points.
"""

from __future__ import annotations

__version__ = "0.1.0"
