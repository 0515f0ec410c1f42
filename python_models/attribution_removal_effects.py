"""Markov-chain removal effect of every channel, from the channel paths prepared in SQL
(int_channel_paths; journey_metrics.attribution.markov_removal_effects)."""

from journey_metrics.attribution import markov_removal_effects


def model(dbt, session):
    dbt.config(materialized="table")
    return markov_removal_effects(dbt.ref("int_channel_paths").df())
