"""Great Expectations checks of the three layers, computed in DuckDB: `python -m journey_metrics.validate`.

- **raw**: per raw table, the rows staging rejected, counted by rule (`suites.RAW_RULES`: keys
  present and unique, values parseable and plausible, codes and references known, ...), each rule
  the rejection reasons staging gives (read from `rejected_rows`, so the rules live in staging
  alone). These are *warnings*: staging keeps those rows out. A file that breaks the contract (a
  missing column, an unreadable file) stops dbt before any model is built (check_raw_contract,
  macros/raw_files/contract_check.sql), so a warehouse that exists has passed it; raw rows =
  staged + rejected is dbt's test (tests/assert_raw_rows_reconcile.sql).
- **staging**: keys unique and not null, timestamps in range, scores in range (the vars staging
  rejects by), every customer and experiment id known.
- **marts**: NPS and rates in range, one segment per customer, finite CLV, experiment cells
  covering the design. That funnels never grow and attribution adds up to the orders are dbt's
  singular tests (tests/), not repeated here.

Design: SQL counts, GX judges the examples and keeps the record.

1. The suites are defined in code (`suites`: one Check per suite `<layer>.<table>`, its GX
   expectations and the SQL relation they are checked on) and saved to gx/expectations/<layer>/
   only when they change, so the committed JSON files say what runs.
2. `sql` translates each expectation into DuckDB SQL with GX's own semantics and computes it over
   the whole relation, never loading it into pandas: the element count, the rows GX would consider,
   the unexpected count, in one aggregate scan per suite; then, only for the expectations that
   failed, the first EXAMPLES unexpected rows (one more scan, and an exact `group by` for a
   uniqueness expectation). Every relation is a query over the warehouse, opened read-only.
   Memory is bounded by the number of expectations and examples, not by rows; DuckDB's own memory
   is capped and spills to a temporary folder.
3. GX validates each suite, with its validation definition, on the *evidence*: the example rows of
   all its expectations in one small frame (each row at most as often as in the table). GX's
   verdict on the evidence must agree with the SQL count: an expectation SQL found failing fails on
   its own examples, one SQL found passing passes on every evidence row (those of the other
   expectations too). A disagreement means the SQL of that expectation differs from GX's: it is
   reported as an error.
4. `results` puts the whole relation's numbers (counts, percentages, examples) into GX's result of
   each expectation and stores the suite result again, so the data docs (gx/uncommitted/data_docs/)
   and the summary show each expectation of each suite with its own name, description, severity,
   unexpected count and examples; "Show more info" on a result page says what was computed where.

`report` prints the summary of every failed expectation; the run exits 1 when an error-level
expectation failed (0 when only warnings did).
"""

import os

# Closed network: GX must not try to send usage statistics. Set before great_expectations is imported.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
