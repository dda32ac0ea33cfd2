"""``python -m auditor`` is ``csrb-auditor``."""

from auditor.cli import main

main()
