"""Every model is documented, and so is every column it builds (checked against the built demo
warehouse, so a column added without docs fails). The internal staging models document their own
bookkeeping columns; their data columns are those of the raw source (raw_<table>) and of
stg_<table> (base_<table>), documented there once."""

from __future__ import annotations

import json

from helpers import query


def documented(node: dict) -> set[str]:
    return {name for name, column in node["columns"].items() if column["description"].strip()}


def test_every_model_and_every_column_is_documented(demo):
    manifest = json.loads((demo.db.parent / "dbt_target" / "manifest.json").read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "journey_metrics"
    }
    sources = {node["name"]: node for node in manifest["sources"].values() if node["source_name"] == "raw"}
    built = {}
    for table, column in query(
        demo.db, "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ):
        built.setdefault(table, []).append(column)

    undocumented = []
    for name, node in sorted(models.items()):
        if not node["description"].strip():
            undocumented.append(f"{name}: no description")
        docs = documented(node)
        if name.startswith("raw_"):
            docs |= documented(sources[name.removeprefix("raw_")]) | {"_source_file"}
        if name.startswith("base_"):
            docs |= documented(models["stg_" + name.removeprefix("base_")])
        undocumented += [f"{name}.{column}" for column in built.get(name, []) if column not in docs]
    assert undocumented == []
    assert set(models) <= set(built), "every model is built by the demo"


def test_every_var_is_documented():
    """docs/vars.md lists every var of dbt_project.yml (and no var that is gone)."""
    import re

    import yaml

    from journey_metrics.paths import REPO_ROOT

    project_vars = set(yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"])
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", (REPO_ROOT / "docs" / "vars.md").read_text(), re.MULTILINE))
    assert sorted(project_vars - listed) == [], "vars missing from docs/vars.md"
    assert sorted(listed - project_vars) == [], "docs/vars.md lists vars dbt_project.yml no longer has"


def test_readme_is_short_and_its_links_resolve():
    import re

    from journey_metrics.paths import REPO_ROOT

    for document in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]:
        text = document.read_text()
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith("http"):
                assert (document.parent / target).exists(), f"{document.name} links to missing {target}"
    assert len((REPO_ROOT / "README.md").read_text().splitlines()) <= 200


def test_every_macro_and_its_arguments_are_documented():
    """macros/_macros.yml names every macro of macros/ with exactly its arguments."""
    import re

    import yaml

    from journey_metrics.paths import REPO_ROOT

    defined = {}
    for path in (REPO_ROOT / "macros").rglob("*.sql"):
        for name, args in re.findall(r"\{%-? *macro +(\w+)\((.*?)\) *-?%\}", path.read_text(), re.DOTALL):
            defined[name] = [arg.split("=")[0].strip() for arg in args.split(",") if arg.strip()]
    documented = yaml.safe_load((REPO_ROOT / "macros" / "_macros.yml").read_text())["macros"]
    documented = {
        macro["name"]: [argument["name"] for argument in macro.get("arguments", [])]
        for macro in documented
        if macro.get("description", "").strip()
    }
    assert sorted(set(defined) - set(documented)) == [], "macros without an entry in macros/_macros.yml"
    assert sorted(set(documented) - set(defined)) == [], "macros/_macros.yml documents macros that are gone"
    assert {name: args for name, args in defined.items() if documented[name] != args} == {}
