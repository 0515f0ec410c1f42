"""Shapley value and share of every channel in every converting channel set, from the channel paths
prepared in SQL (int_channel_paths; journey_metrics.attribution.shapley_values)."""

from journey_metrics.attribution import shapley_values


def model(dbt, session):
    dbt.config(materialized="table")
    return shapley_values(dbt.ref("int_channel_paths").df())
