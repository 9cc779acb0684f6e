"""The rollup maintenance under its former name (``lucro.reports.rollups`` is the module).

Kept for the enrichment tests that call ``triggers.rebuild``; delete it once they import
``lucro.reports.rollups``.
"""

from lucro.reports.rollups import install, rebuild, uninstall

__all__ = ["install", "rebuild", "uninstall"]
