"""The composition root: the `qm` command line, the settings, and the commands that start
the parts (API server, warehouse refresh, planning, dashboards, the demo).

Only this package may import every other one (docs/architecture.md).
"""
