"""The linkage model is written once and runs on DuckDB here and on Spark where one machine is outgrown."""

from __future__ import annotations

import sqlglot

from cxhub.customers.linkage import FIELDS, model_settings, records_sql


def test_the_model_translates_to_spark_sql_level_for_level() -> None:
    settings = model_settings(set(FIELDS), ["occupation"])
    duckdb_dict = settings.create_settings_dict("duckdb")
    spark_dict = settings.create_settings_dict("spark")
    assert [c["output_column_name"] for c in spark_dict["comparisons"]] == [
        c["output_column_name"] for c in duckdb_dict["comparisons"]
    ]
    for comparison in spark_dict["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] != "ELSE":
                sqlglot.parse_one(level["sql_condition"], read="spark")  # raises on SQL Spark can't read
    rules = spark_dict["blocking_rules_to_generate_predictions"]
    assert len(rules) == len(duckdb_dict["blocking_rules_to_generate_predictions"]) > 5
    for rule in rules:
        assert rule["sql_dialect"] == "spark"
        sqlglot.parse_one(rule["blocking_rule"], read="spark")


def test_record_preparation_translates_to_spark_sql() -> None:
    sql = records_sql("raw_records", set(FIELDS), ["occupation"])
    (spark,) = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert "TRANSLATE(LOWER(TRIM(r.first_name))" in spark
    assert "REGEXP_REPLACE" in spark
    assert "MAX_BY(f.name, f.n)" in spark
    # the columns the comparisons read come out of the one statement
    for column in ("first_name_canon", "first_name_own", "email_shared", "phone_shared", "id_last_name_canon"):
        assert f"AS {column}" in spark
