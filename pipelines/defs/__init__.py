"""The Dagster code location of the warehouse: `dagster dev -m pipelines.defs.definitions`.

assets.py (extract, dbt, publish), planning_assets.py (forecast, replenish, write-back),
resources.py (OLTP and warehouse resources), definitions.py (the `Definitions`). The
plain libraries they call stay one level up (pipelines/extract.py, publish.py, planning.py).
"""
