"""journey-metrics: customer-journey metrics with dbt + DuckDB, plus a synthetic demo-data generator.

`python -m journey_metrics.generate --help` writes the raw demo tables and the ground truth planted in them.
"""

__version__ = "0.1.0"
