"""The benchmark script runs (on a small size; docs/benchmarks.md has the full-size figures)."""

from journey_metrics import maths_benchmark


def test_benchmark_runs_on_small_inputs(capsys):
    assert maths_benchmark.main(["--customers", "3000"]) == 0
    printed = capsys.readouterr().out
    assert "CLV: fit BG/NBD, MBG/NBD, Pareto/NBD + Gamma-Gamma, 3,000 customers" in printed
    assert "Experiment SRM: 3,000 assignments" in printed


def test_incremental_benchmark_reads_model_timings_and_compares_tables(tmp_path):
    import duckdb

    from journey_metrics import incremental_benchmark

    run_results = {
        "results": [
            {"unique_id": "model.journey_metrics.base_events", "execution_time": 1.5},
            {"unique_id": "test.journey_metrics.not_null_x.abc", "execution_time": 9.0},
        ]
    }
    assert incremental_benchmark.model_seconds(run_results) == {"base_events": 1.5}

    for name, rows in (("a", "(1), (2), (2)"), ("b", "(1), (2), (3)")):
        (tmp_path / name).mkdir()
        with duckdb.connect(str(tmp_path / name / "w.duckdb")) as con:
            con.execute(f"create table t as select * from (values {rows}) as v(x)")
    # a has one 2 too many, b has a 3 that a lacks
    assert incremental_benchmark.differences(tmp_path / "a" / "w.duckdb", tmp_path / "b" / "w.duckdb", "t") == 2


def test_build_benchmark_counts_the_core_marts_sql_lineage():
    from journey_metrics import benchmark

    def node(name, language="sql", kind="model"):
        return {"name": name, "resource_type": kind, "language": language}

    manifest = {
        "nodes": {
            "model.p.base_events": node("base_events"),
            "model.p.fct_touchpoints": node("fct_touchpoints"),
            "model.p.clv_predictions": node("clv_predictions", "python"),
            "model.p.mart_customer_value": node("mart_customer_value"),
            "model.p.mart_referrals": node("mart_referrals"),
            "seed.p.stage_map": node("stage_map", kind="seed"),
        },
        "parent_map": {
            "model.p.fct_touchpoints": ["model.p.base_events", "seed.p.stage_map"],
            "model.p.mart_customer_value": ["model.p.clv_predictions", "model.p.base_events"],
            "model.p.clv_predictions": ["model.p.base_events"],
            "model.p.mart_referrals": ["model.p.base_events"],
        },
    }
    # the Python model, the seed and the unrelated mart are not the core marts' SQL models
    assert benchmark.core_models(manifest) == {
        "model.p.base_events",
        "model.p.fct_touchpoints",
        "model.p.mart_customer_value",
    }
    seconds = benchmark.node_seconds(
        {
            "results": [
                {"unique_id": "model.p.base_events", "execution_time": 2.0},
                {"unique_id": "test.p.not_null_x.abc", "execution_time": 0.5},
            ]
        }
    )
    assert seconds == {"model.p.base_events": ("model", 2.0), "test.p.not_null_x.abc": ("test", 0.5)}


def test_build_benchmark_plots_time_and_memory_against_events(tmp_path):
    import json

    from journey_metrics import benchmark

    for events, seconds in ((1_000_000, 30.0), (10_000_000, 150.0)):
        result = {
            "events": events,
            "full_build_s": seconds,
            "incremental_build_s": seconds / 2,
            "validate_s": seconds / 10,
            "reference_s": seconds / 5,
            "peak_rss_mb": {"build": events / 2000, "validate": 500},
            "machine": {"cores": 2, "memory_gb": 24},
        }
        (tmp_path / f"{events}.json").write_text(json.dumps(result))
    png = tmp_path / "plot.png"
    assert benchmark.main(["--root", str(tmp_path), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
