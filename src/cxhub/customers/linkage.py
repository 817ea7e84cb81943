"""Probabilistic record linkage of customer records on Splink, apart from the hub's database.

Records arrive as a DuckDB relation with any subset of `FIELDS` (all text). `prepare` normalises them
into the table the model compares; `model_settings` builds the Splink model for the fields present
(comparisons, blocking rules); `train` estimates its parameters unsupervised (u by random sampling,
m and the prior by expectation maximisation); `Linkage.predict` scores the candidate pairs and
`Linkage.cluster` joins linked pairs into people.

The normalisation SQL and every comparison are written in DuckDB's dialect from functions that
Spark SQL has too, and Splink translates them (`SettingsCreator.create_settings_dict("spark")`),
so the same model runs on Splink's Spark backend (docs/customers.md, "Linking at scale").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.exceptions import EMTrainingException
from splink.internals.parse_sql import get_columns_used_from_sql
from splink.internals.splink_dataframe import SplinkDataFrame

FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "address_line",
    "city",
    "postcode",
    "state",
    "country",
)
ACCENTED = "áàâãäåéèêëíìîïóòôõöøúùûüçñýÿœæ"
PLAIN = "aaaaaaeeeeiiiioooooouuuucnyyoa"
STREET_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "tce",
    "rua": "r",
    "calle": "c",
    "avenida": "ave",
    "apartment": "apt",
    "flat": "apt",
}
RELAY_EMAIL = "@(relay\\.|marketplace\\.amazon\\.|members\\.ebay\\.)"
FEEDBACK: Callable[[str], None] = lambda _step: None  # noqa: E731


def nickname_rows() -> list[tuple[str, str]]:
    """(name, canonical) pairs: Bob -> robert, Paco -> francisco."""
    text = resources.files("cxhub.customers").joinpath("data/nicknames.csv").read_text(encoding="utf-8")
    rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
    return [(name.strip(), canonical.strip()) for name, canonical in rows]


def _clean(expression: str) -> str:
    """Lower case, accents folded, apostrophes dropped (O'Brien is obrien), anything else but letters,
    digits and single spaces made a space."""
    folded = f"regexp_replace(translate(lower(trim({expression})), '{ACCENTED}', '{PLAIN}'), '[''\u2019]', '', 'g')"
    return f"nullif(trim(regexp_replace(regexp_replace({folded}, '[^a-z0-9 ]', ' ', 'g'), ' +', ' ', 'g')), '')"


def _street(expression: str) -> str:
    sql = _clean(expression)
    for word, short in STREET_WORDS.items():
        sql = f"regexp_replace({sql}, '\\b{word}\\b', '{short}', 'g')"
    return sql


def prepare_sql(source: str, present: set[str], compared: Sequence[str]) -> str:
    """SELECT that turns raw records (text columns) into their normalised form (`records_sql` adds
    what the model reads on top of it).

    Names: accents folded, punctuation dropped, a full name split when first and last are missing,
    the canonical form of either name from the nickname table (`nicknames`). E-mail: lower case, the
    local part without dots and +tags at Gmail, and split into local part and domain. Phone: digits,
    the last nine (national and international forms of one number agree). Dates: ISO or day/month/year
    text to `YYYY-MM-DD`. Postcode: upper case without spaces.
    """

    def col(name: str) -> str:
        return f"r.{name}" if name in present else "cast(null as varchar)"

    first = _clean(col("first_name"))
    last = _clean(col("last_name"))
    full = _clean(col("full_name"))
    first_name = f"coalesce({first}, nullif(regexp_extract({full}, '^(\\S+)( |$)', 1), ''))"
    last_name = f"coalesce({last}, nullif(regexp_extract({full}, ' (\\S+)$', 1), ''))"
    raw_email = f"nullif(lower(trim({col('email')})), '')"
    # a marketplace's relay address stands for one order, not for a person
    email = f"case when regexp_matches({raw_email}, '{RELAY_EMAIL}') then null else {raw_email} end"
    local = f"split_part({email}, '@', 1)"
    domain = f"nullif(split_part({email}, '@', 2), '')"
    gmail = f"{domain} in ('gmail.com', 'googlemail.com')"
    local_norm = (
        f"case when {gmail} then replace(split_part({local}, '+', 1), '.', '') else split_part({local}, '+', 1) end"
    )
    digits = f"nullif(regexp_replace({col('phone')}, '[^0-9]', '', 'g'), '')"
    dob_text = f"nullif(trim({col('date_of_birth')}), '')"
    dob = (
        f"coalesce(cast(try_cast(substr({dob_text}, 1, 10) as date) as varchar), "
        f"cast(try_cast(try_strptime({dob_text}, '%d/%m/%Y') as date) as varchar))"
    )
    extra = "".join(f",\n  {_clean('r.' + _quoted(c))} as {_quoted('x_' + c)}" for c in compared)
    return f"""
select
  r.unique_id, r.source, r.record_id,
  {first_name} as first_name,
  {last_name} as last_name,
  coalesce(n.canonical, {first_name}) as first_name_nick,
  coalesce(ln.canonical, {last_name}) as last_name_nick,
  case when {email} like '%_@_%._%' then {local_norm} || '@' || {domain} end as email,
  case when {email} like '%_@_%._%' then {local_norm} end as email_local,
  case when {email} like '%_@_%._%' then {domain} end as email_domain,
  case when length({digits}) >= 6 then right({digits}, 9) end as phone,
  {dob} as date_of_birth,
  {_street(col("address_line"))} as address_line,
  {_clean(col("city"))} as city,
  nullif(upper(regexp_replace({col("postcode")}, '[^A-Za-z0-9]', '', 'g')), '') as postcode,
  {_clean(col("state"))} as state,
  nullif(upper(trim({col("country")})), '') as country{extra}
from {source} r
left join nicknames n on n.name = {first_name}
left join nicknames ln on ln.name = {last_name}
"""


def swapped_names(left: Callable[[str], str], right: Callable[[str], str], threshold: float) -> str:
    """SQL: one record gives first name and surname the other way round (near spellings or nicknames
    of one name allowed; a record without a surname agrees with either order)."""

    def near(a: str, b: str, canon_a: str, canon_b: str) -> str:
        return f"(jaro_winkler_similarity({a}, {b}) >= {threshold} or {canon_a} = {canon_b})"

    f_l, s_l, f_r, s_r = left("first_name"), left("last_name"), right("first_name"), right("last_name")
    fc_l, sc_l = left("first_name_canon"), left("last_name_canon")
    fc_r, sc_r = right("first_name_canon"), right("last_name_canon")
    first_l_last_r, last_l_first_r = near(f_l, s_r, fc_l, sc_r), near(s_l, f_r, sc_l, fc_r)
    return (
        f"(({first_l_last_r} and ({s_l} is null or {last_l_first_r})) "
        f"or ({last_l_first_r} and ({s_r} is null or {first_l_last_r})))"
    )


# The e-mail and phone comparisons read the names through copies of their own, so that a training
# session blocked on the names still estimates them (Splink sets aside the comparisons that read a
# column the session blocks on).
NAME_COPIES = {
    name: "id_" + name for name in ("first_name", "first_name_canon", "last_name", "last_name_canon", "first_name_own")
}


KNOWN_NAME_RECORDS = 3  # a first name seen this often, and not a typo of a name seen ...
TYPO_FREQUENCY_RATIO = 10  # ... this many times as often, is a name of its own


def unrelated_first_names(left: Callable[[str], str], right: Callable[[str], str]) -> str:
    """SQL: two first names that are not the same, nicknames of one name or the names of a record that
    gives them the other way round, and either not near spellings or two names of their own (Ciara and
    Ciaran, Paul and Pamela; `first_name_own`). `left` and `right` name a column of either record."""
    return (
        f"{left('first_name_canon')} <> {right('first_name_canon')} "
        f"and (jaro_winkler_similarity({left('first_name')}, {right('first_name')}) < 0.8 "
        f"or ({left('first_name_own')} and {right('first_name_own')})) "
        f"and not coalesce({swapped_names(left, right, 0.8)}, false)"
    )


UNRELATED_FIRST_NAMES = unrelated_first_names(lambda c: f"l.{c}", lambda c: f"r.{c}")
# two people for sure: unrelated first names, both names of their own (not a typo of either)
TWO_PEOPLE = f"{UNRELATED_FIRST_NAMES} and l.first_name_own and r.first_name_own"
MAX_SHARED_CHECK = 200


def shared_values_sql(table: str, column: str) -> str:
    """SELECT of the e-mails or phones that several people use: two records carry the value under
    unrelated first names (not the same, a nickname, a near spelling or swapped; both names of their
    own, so that a typo is not taken for another person), or so many records carry it that it can't
    be one person's."""
    crowded = (
        f"select {column} from {table} where {column} is not null "
        f"group by {column} having count(*) > {MAX_SHARED_CHECK}"
    )
    return f"""
select l.{column} as value from {table} l join {table} r
  on l.{column} = r.{column} and l.unique_id < r.unique_id
where {TWO_PEOPLE} and l.{column} not in ({crowded})
union
{crowded}
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Among a customer's own records, a first name that is neither the same, a nickname, a near spelling
# nor swapped with the surname is rare; among household members and twins it is the rule. Where
# records carry e-mails or phones, members share them and their home, and expectation maximisation
# learns the household as the matching class (0.03 and 0.19 from two sessions on the synthetic
# customers, whose true rate is under 0.001), so there the m probability is fixed. Records with
# neither (registers, transcriptions) have it estimated: 0.24 to 0.28 on historical_50k, whose
# errors put other names in place of first names.
OTHER_FIRST_NAME_M = 1e-6


def _name(column: str, other: str | None, *, canon: str | None = None, fixed_other: bool = False) -> ComparisonCreator:
    levels: list[Any] = [cll.NullLevel(column)]
    if not other:
        # the surname of a record that gives the names the other way round: the first name's
        # comparison weighs the swap, so this one says nothing of its own
        swapped = swapped_names(lambda c: f"{c}_l", lambda c: f"{c}_r", 0.9)
        levels.append(
            cll.CustomLevel(
                f"coalesce({swapped}, false) and not coalesce(last_name_l = last_name_r, false)",
                label_for_charts="names swapped",
                base_dialect_str="duckdb",
            ).configure(is_null_level=True)
        )
    levels.append(cll.ExactMatchLevel(column, term_frequency_adjustments=True))
    if canon:
        levels.append(cll.ExactMatchLevel(canon).configure(label_for_charts="same name or nickname"))
        other_name = cll.CustomLevel(
            unrelated_first_names(lambda c: f"{c}_l", lambda c: f"{c}_r"),
            label_for_charts="other first name",
            base_dialect_str="duckdb",
        )
        if fixed_other:
            levels.append(other_name.configure(m_probability=OTHER_FIRST_NAME_M, fix_m_probability=True))
        else:
            levels.append(other_name)
    levels += [
        cll.JaroWinklerLevel(column, 0.92),
        cll.JaroWinklerLevel(column, 0.8),
    ]
    if other:
        levels.append(cll.ColumnsReversedLevel(column, other, symmetrical=True))
        levels.append(
            cll.CustomLevel(
                swapped_names(lambda c: f"{c}_l", lambda c: f"{c}_r", 0.9),
                label_for_charts="swapped, near spellings",
                base_dialect_str="duckdb",
            )
        )
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name=column)


def _without_flat(column: str) -> str:
    return f"regexp_replace({column}, '^apt [0-9a-z]+ ', '')"


def _location(present: set[str]) -> ComparisonCreator:
    """Address line and postcode as one piece of evidence: they say the same thing (where someone
    lives), and counting them apart would let a shared home outweigh everything else."""
    has_line, has_code = "address_line" in present, "postcode" in present
    line_l, line_r = _without_flat("address_line_l"), _without_flat("address_line_r")
    similar_line = f"jaro_winkler_similarity({line_l}, {line_r}) >= 0.9"
    # the same house number and a typo or two in the street (flat numbers aside)
    near_line = (
        f"regexp_extract({line_l}, '^[0-9]+', 0) = regexp_extract({line_r}, '^[0-9]+', 0) "
        f"and regexp_matches({line_l}, '^[0-9]') and levenshtein({line_l}, {line_r}) <= 2"
    )
    line_null = "(address_line_l is null or address_line_r is null)"
    code_null = "(postcode_l is null or postcode_r is null)"
    null = " and ".join(([line_null] if has_line else []) + ([code_null] if has_code else []))
    levels: list[Any] = [cll.CustomLevel(null, base_dialect_str="duckdb").configure(is_null_level=True)]
    if has_line and has_code:
        levels.append(
            cll.CustomLevel(
                f"postcode_l = postcode_r and {similar_line}",
                label_for_charts="same address and postcode",
                base_dialect_str="duckdb",
            )
        )
    if has_line:
        levels += [
            cll.CustomLevel(
                "address_line_l = address_line_r", label_for_charts="same address line", base_dialect_str="duckdb"
            ),
            cll.CustomLevel(
                f"{line_l} = {line_r}",
                label_for_charts="same address, flat number on one side only",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(near_line, label_for_charts="same house number, near street", base_dialect_str="duckdb"),
        ]
    if has_code:
        levels.append(
            cll.CustomLevel("postcode_l = postcode_r", label_for_charts="same postcode", base_dialect_str="duckdb")
        )
    if has_line:
        levels.append(cll.CustomLevel(similar_line, label_for_charts="similar address", base_dialect_str="duckdb"))
    if has_code:
        levels.append(
            cll.CustomLevel(
                "substr(postcode_l, 1, 3) = substr(postcode_r, 1, 3)",
                label_for_charts="same postal district",
                base_dialect_str="duckdb",
            )
        )
    levels.append(cll.ElseLevel())
    name = "address" if has_line else "postcode"
    return cl.CustomComparison(levels, output_column_name=name)


def _custom(column: str, *conditions: tuple[str, str], tf: bool = False) -> ComparisonCreator:
    levels: list[Any] = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=tf),
    ]
    levels += [cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb") for sql, label in conditions]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name=column)


def _identifier(column: str, *near: tuple[str, str]) -> ComparisonCreator:
    """An e-mail or phone: the same value that only one person's records carry (one first name among
    them), the same value that several people's carry (a household's), near values, anything else."""
    other_names = unrelated_first_names(lambda c: f"{NAME_COPIES[c]}_l", lambda c: f"{NAME_COPIES[c]}_r")
    # under unrelated first names the same value is a household's, whatever other records say
    one_person = (
        f"{column}_l = {column}_r and not coalesce({column}_shared_l or {column}_shared_r, false) "
        f"and not coalesce({other_names}, false)"
    )
    # a household's phone or e-mail with the same first name on both records: household members have
    # first names of their own, so this points to one of them
    same_member = (
        f"{column}_l = {column}_r and id_first_name_l is not null and id_first_name_r is not null "
        f"and not ({other_names})"
    )
    levels: list[Any] = [
        cll.NullLevel(column),
        cll.CustomLevel(one_person, label_for_charts="same, one person's", base_dialect_str="duckdb"),
        cll.CustomLevel(same_member, label_for_charts="same, shared, same first name", base_dialect_str="duckdb"),
        cll.CustomLevel(f"{column}_l = {column}_r", label_for_charts="same, shared", base_dialect_str="duckdb"),
        *(cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb") for sql, label in near),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(levels, output_column_name=column)


def _comparisons(present: set[str], compared: Sequence[str]) -> list[ComparisonCreator]:
    names = present & {"first_name", "last_name", "full_name"}
    out: list[ComparisonCreator] = []
    if names:
        identifiers = bool(present & {"email", "phone"})
        out.append(_name("first_name", "last_name", canon="first_name_canon", fixed_other=identifiers))
        out.append(_name("last_name", None))
    if "email" in present:
        same_digits = (
            "regexp_replace(email_local_l, '[^0-9]', '', 'g') = regexp_replace(email_local_r, '[^0-9]', '', 'g')"
        )
        out.append(
            _identifier(
                "email",
                (
                    # a typo in the letters; other digits (ann.byrne1, ann.byrne2) are other people
                    f"email_domain_l = email_domain_r and damerau_levenshtein(email_local_l, email_local_r) <= 1 "
                    f"and {same_digits}",
                    "one typo in the local part, same domain and digits",
                ),
                (
                    # the same handle with digits at another provider (ann.byrne84@ at two domains);
                    # without digits (ann.byrne@) it is as often a namesake
                    "email_local_l = email_local_r and regexp_matches(email_local_l, '[0-9]')",
                    "same local part with digits, other domain",
                ),
                (
                    "email_domain_l = email_domain_r and "
                    f"jaro_winkler_similarity(email_local_l, email_local_r) >= 0.88 and {same_digits}",
                    "similar local part, same domain and digits",
                ),
            )
        )
    if "phone" in present:
        out.append(_identifier("phone", ("levenshtein(phone_l, phone_r) <= 1", "one digit different")))
    if "date_of_birth" in present:
        out.append(
            _custom(
                "date_of_birth",
                (
                    "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) "
                    "and substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2) "
                    "and substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)",
                    "day and month transposed",
                ),
                ("levenshtein(date_of_birth_l, date_of_birth_r) <= 1", "one digit different"),
                ("substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4)", "same year"),
            )
        )
    if present & {"address_line", "postcode"}:
        out.append(_location(present))
    if "city" in present:
        out.append(_custom("city", ("jaro_winkler_similarity(city_l, city_r) >= 0.9", "similar city"), tf=True))
    if "state" in present:
        out.append(_custom("state", tf=True))
    for column in compared:
        name = "x_" + column
        out.append(
            _custom(
                name,
                (f"jaro_winkler_similarity({_quoted(name + '_l')}, {_quoted(name + '_r')}) >= 0.9", "similar"),
                tf=True,
            )
        )
    return out


def blocking_rules(present: set[str], compared: Sequence[str]) -> list[BlockingRuleCreator]:
    """Candidate pairs: records that share any of these keys are scored, the rest are left apart."""
    has = present.__contains__
    names = bool(present & {"first_name", "last_name", "full_name"})
    rules: list[BlockingRuleCreator] = []
    if has("email"):
        rules += [block_on("email"), block_on("email_local")]
        # a typo in the local part keeps its last five letters, or its first four and last three
        # (the first letters alone are a first name's, too common to block on)
        rules += [
            block_on("email_domain", "right(email_local, 5)"),
            block_on("email_domain", "substr(email_local, 1, 4)", "right(email_local, 3)"),
        ]
    if has("phone"):
        rules.append(block_on("phone"))
    if names:
        rules.append(block_on("first_name_canon", "last_name"))
        rules.append(CustomRule("l.first_name = r.last_name and l.last_name = r.first_name"))
    if has("date_of_birth"):
        if names:
            rules += [block_on("last_name", "date_of_birth"), block_on("first_name_canon", "date_of_birth")]
            rules.append(block_on("substr(first_name, 1, 2)", "substr(last_name, 1, 2)", "substr(date_of_birth, 1, 4)"))
        for other in ("postcode", "city", "email_domain"):
            if has(other if other != "email_domain" else "email"):
                rules.append(block_on("date_of_birth", other))
    if names and has("postcode"):
        rules += [block_on("last_name", "postcode"), block_on("first_name_canon", "postcode")]
    if names and has("address_line"):
        rules.append(block_on("last_name", "address_line"))
    if has("address_line"):
        # one home: a household's records, or one person's with both names misspelt or swapped
        rules += [block_on("address_line", other) for other in ("postcode", "city") if has(other)]
    if names and has("city"):
        rules.append(block_on("first_name_canon", "substr(last_name, 1, 3)", "city"))
    if names:
        # typos past the first letters of either name (in one city where records give one: first
        # letters alone make blocks too large for a million records)
        prefixes = ("substr(first_name, 1, 3)", "substr(last_name, 1, 4)")
        rules.append(block_on(*prefixes, "city") if has("city") else block_on(*prefixes))
    if has("postcode"):
        district = "substr(postcode, 1, 3)"
        if has("date_of_birth"):
            rules.append(block_on(district, "date_of_birth"))
        if names:
            rules += [block_on(district, "first_name_canon"), block_on(district, "last_name")]
    for column in compared:
        if names:
            rules.append(block_on("substr(last_name, 1, 3)", "x_" + column))
        if has("date_of_birth"):
            rules.append(block_on("date_of_birth", "x_" + column))
    return rules


def model_settings(present: set[str], compared: Sequence[str] = ()) -> SettingsCreator:
    """The linkage model for the fields present; one record table with a `unique_id` per record."""
    comparisons = _comparisons(present, compared)
    if not comparisons:
        raise ValueError("no field to compare: give at least one of " + ", ".join(FIELDS))
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=list[ComparisonCreator | dict[str, Any]](comparisons),
        blocking_rules_to_generate_predictions=list[BlockingRuleCreator | dict[str, Any]](
            blocking_rules(present, compared)
        ),
        additional_columns_to_retain=["source", "record_id"],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


TRAINING_KEYS = (
    ("date_of_birth",),
    ("first_name_canon", "last_name"),
    ("email",),
    ("phone",),
    ("postcode",),
    ("last_name",),
    ("city",),
)
MIN_TRAINING_PAIRS = 100
IDENTIFIER_MIN_U = 1e-8
MIN_M = 1e-3
MAX_TRAINING_PAIRS = 50_000_000


def _pair_count(con: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> int:
    filled = " and ".join(f"{k} is not null" for k in keys)
    groups = f"select count(*) n from __cxhub_records where {filled} group by {', '.join(keys)}"
    sql = f"select coalesce(sum(n * (n - 1) / 2), 0) from ({groups})"
    return int(con.execute(sql).fetchall()[0][0])


def _training_rules(con: duckdb.DuckDBPyConnection, present: set[str]) -> list[BlockingRuleCreator]:
    """EM sessions: up to three blocking keys that give enough pairs, each comparison estimated in a
    session that does not block on it."""
    known = present | {"first_name_canon"} if present & {"first_name", "last_name", "full_name"} else present
    known = known | {"last_name"} if "full_name" in present else known
    rules: list[BlockingRuleCreator] = []
    for keys in TRAINING_KEYS:
        if set(keys) <= known and MIN_TRAINING_PAIRS <= _pair_count(con, keys) <= MAX_TRAINING_PAIRS:
            rules.append(block_on(*keys))
        if len(rules) == 3:
            break
    return rules


def _prior_rules(present: set[str]) -> list[BlockingRuleCreator]:
    has = present.__contains__
    names = bool(present & {"first_name", "last_name", "full_name"})
    rules: list[BlockingRuleCreator] = []
    if names and has("date_of_birth"):
        rules.append(block_on("first_name", "last_name", "date_of_birth"))
    if has("email"):
        rules.append(block_on("email"))
    if names and has("phone"):
        rules.append(block_on("last_name", "phone"))
    if names and has("postcode"):
        rules.append(block_on("first_name", "last_name", "postcode"))
    if not rules and names:
        rules.append(block_on("first_name", "last_name"))
    return rules


@dataclass
class Linkage:
    """A model bound to a prepared record table in a DuckDB connection."""

    con: duckdb.DuckDBPyConnection
    linker: Linker
    records: int
    feedback: Callable[[str], None] = field(default=FEEDBACK)
    skipped: list[str] = field(default_factory=list)  # training sessions that could not be used

    def train(self, *, present: set[str], u_pairs: float = 2e6, seed: int = 1) -> None:
        """Estimate the parameters from the records themselves (no labels)."""
        training = self.linker.training
        self.feedback("estimating the match rate")
        training.estimate_probability_two_random_records_match(
            list[str | BlockingRuleCreator](_prior_rules(present)), recall=0.7
        )
        settings = self.linker._settings_obj
        if settings._probability_two_random_records_match <= 0:
            # no pair agrees on the sure keys: say one pair in all matches rather than none
            settings._probability_two_random_records_match = 2 / max(self.records * (self.records - 1), 2)
        self.feedback("estimating u by random sampling")
        training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        trained = 0
        for rule in _training_rules(self.con, present):
            if not self._estimable(rule):
                continue
            self.feedback("expectation maximisation")
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
                trained += 1
            except (ValueError, EMTrainingException) as exc:
                # Splink refuses an m probability that underflowed to 0 (a level seen only in
                # clear non-matches); that session's estimates are dropped, the others stand
                # or the session's match rate went to 0 or 1 (its pairs all alike)
                refused = ("below the minimum allowed", "math domain error")
                if isinstance(exc, ValueError) and not any(text in str(exc) for text in refused):
                    raise
                self.skipped.append(str(exc).split(".")[0])

        if trained:
            self._discount_matches_from_u()
            self._floor_m()
            if present & {"first_name", "full_name"}:
                self._identifier_u_from_other_people(present)
        if not trained:
            why = "; ".join(self.skipped) or (
                f"no blocking key gives {MIN_TRAINING_PAIRS} pairs of records that share a name, e-mail, phone or date"
            )
            raise ValueError(f"{self.records:,} records are too few or too uniform to estimate a model ({why})")

    def _estimable(self, rule: BlockingRuleCreator) -> bool:
        """Whether a session blocked on `rule` leaves a comparison to estimate: Splink sets aside every
        comparison that reads a column of the rule (the e-mail and phone ones read the first name too)."""
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        blocked = set(get_columns_used_from_sql(sql, "duckdb"))  # type: ignore[no-untyped-call]
        for comparison in self.linker._settings_obj.comparisons:
            if not blocked & {c.input_name for c in comparison._input_columns_used_by_case_statement}:
                return True
        self.skipped.append(f"nothing to estimate when blocking on {sql}")
        return False

    def _floor_m(self) -> None:
        """No estimated level is near impossible for one person: expectation maximisation drives the m
        of a level it sees only among non-matches towards 0 (another address: on generated records
        nobody moves house, customers do), which would veto a pair whatever else agrees."""
        for comparison in self.linker._settings_obj.comparisons:
            for level in comparison.comparison_levels:
                if level.is_null_level or level._fix_m_probability:
                    continue
                if isinstance(level.m_probability, float) and level.m_probability < MIN_M:
                    level.m_probability = MIN_M

    def _discount_matches_from_u(self) -> None:
        """Take the true matches out of the u probabilities.

        Random pairs include matches at the rate of the prior; where a person has several records
        (a brand's customers do) they dominate the pairs that share an e-mail, a phone or an address,
        and u, the agreement rate among non-matches, comes out several times too high. Random pairs
        are a mix: u_sampled = prior * m + (1 - prior) * u, so u = (u_sampled - prior * m) / (1 - prior),
        kept at no less than a twentieth of the sampled value.
        """
        settings = self.linker._settings_obj
        prior = float(settings._probability_two_random_records_match)
        for comparison in settings.comparisons:
            for level in comparison.comparison_levels:
                if level.is_null_level:
                    continue
                m, u = level.m_probability, level.u_probability
                if isinstance(m, float) and isinstance(u, float) and u > 0:
                    level.u_probability = max((u - prior * m) / (1 - prior), u / 20)

    def _identifier_u_from_other_people(self, present: set[str]) -> None:
        """u of an exact e-mail or phone match, counted on pairs that are surely two people.

        Pairs that share an e-mail or a phone are mostly one person's records; those among them whose
        first names are unrelated (not the same, a nickname, a near spelling or swapped) are two people
        sharing it (a household). Non-matches agree on the identifier independently of the first name,
        so u = P(same identifier, unrelated first names) / P(unrelated first names | non-match).
        """
        settings = self.linker._settings_obj
        for comparison in settings.comparisons:
            column = comparison.output_column_name
            if column not in {"email", "phone"} or column not in present:
                continue
            exact = comparison.comparison_levels[1]
            names = [c for c in settings.comparisons if c.output_column_name == "first_name"]
            if not names:
                continue
            (other,) = [level for level in names[0].comparison_levels if level.label_for_charts == "other first name"]
            u_unrelated = other.u_probability
            filled = f"{column} is not null and first_name is not null"
            rows = self.con.execute(f"select count(*) from __cxhub_records where {filled}").fetchall()
            n = int(rows[0][0])
            shared = self.con.execute(
                f"select count(*) from __cxhub_records l join __cxhub_records r "
                f"on l.{column} = r.{column} and l.unique_id < r.unique_id "
                f"and not coalesce(l.{column}_shared or r.{column}_shared, false) "
                f"where l.first_name is not null and r.first_name is not null and {TWO_PEOPLE}"
            ).fetchall()
            pairs = n * (n - 1) / 2
            if pairs < 1 or not isinstance(u_unrelated, float) or not isinstance(exact.u_probability, float):
                continue
            estimate = max(int(shared[0][0]), 1) / pairs / u_unrelated
            exact.u_probability = max(min(estimate, exact.u_probability), IDENTIFIER_MIN_U)
            # within a household's value the first name picks the member: as rare among two people
            comparison.comparison_levels[2].u_probability = exact.u_probability
            # a value several people use says nothing about which of them a record is
            shared_level = comparison.comparison_levels[3]
            if isinstance(shared_level.m_probability, float) and shared_level.m_probability > 0:
                shared_level.u_probability = shared_level.m_probability

    def model(self) -> dict[str, Any]:
        """The trained model as Splink's JSON (settings with m and u probabilities)."""
        return dict(self.linker.misc.save_model_to_json())

    def predict(self, floor: float) -> SplinkDataFrame:
        """Score the candidate pairs, keeping those at `floor` or above."""
        self.feedback("scoring pairs")
        return self.linker.inference.predict(threshold_match_probability=floor)

    def cluster(self, pairs: SplinkDataFrame, threshold: float) -> str:
        """Join pairs at `threshold` or above into people: the table of (unique_id, cluster_id)."""
        self.feedback("clustering")
        clusters = self.linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold)
        return str(clusters.physical_name)


def records_sql(raw_table: str, present: set[str], compared: Sequence[str] = ()) -> str:
    """SELECT of the records as the model compares them: `prepare_sql`, then the first names read
    through their spellings and the flags of shared e-mails and phones, with the copies of the names
    the identifier comparisons read (`NAME_COPIES`). Needs the `nicknames` table; written, like
    `prepare_sql`, in SQL that Spark reads too.

    A rare first name one typo away from a far more frequent one (Pahrick beside Patrick) is read as
    that name, so that its nicknames agree with it (Paddy); names in the nickname table are left as
    they are. A name of its own (`first_name_own`) is seen on several records and is not such a typo.
    """
    shared = ",\n".join(f"shared_{c} as ({shared_values_sql('named', c)})" for c in ("email", "phone"))
    copies = ", ".join(f"{name} as {copy}" for name, copy in NAME_COPIES.items())
    return f"""
with prepared as ({prepare_sql(raw_table, present, compared)}),
first_names as (
  select first_name as name, count(*) as n from prepared where first_name is not null group by first_name),
spellings as (
  select r.name, max_by(f.name, f.n) as fixed
  from first_names r join (select * from first_names where n >= {TYPO_FREQUENCY_RATIO}) f
    on f.n >= {TYPO_FREQUENCY_RATIO} * r.n and abs(length(f.name) - length(r.name)) <= 1
    and damerau_levenshtein(f.name, r.name) <= 1
  where r.name not in (select name from nicknames union select canonical from nicknames)
  group by r.name),
named as (
  select p.*,
    coalesce(fn.canonical, fs.fixed, p.first_name_nick) as first_name_canon,
    coalesce(ln.canonical, ls.fixed, p.last_name_nick) as last_name_canon,
    coalesce(c.n >= {KNOWN_NAME_RECORDS} and fs.name is null, false) as first_name_own
  from prepared p
  left join first_names c on c.name = p.first_name
  -- a surname is read as a first name too, for records that give the names the other way round
  left join spellings fs on fs.name = p.first_name left join nicknames fn on fn.name = fs.fixed
  left join spellings ls on ls.name = p.last_name left join nicknames ln on ln.name = ls.fixed),
{shared}
select named.*,
  coalesce(named.email in (select value from shared_email), false) as email_shared,
  coalesce(named.phone in (select value from shared_phone), false) as phone_shared,
  {copies}
from named
"""


def prepare_records(
    con: duckdb.DuckDBPyConnection, raw_table: str, table: str, *, present: set[str], compared: Sequence[str] = ()
) -> None:
    """Create `table` from `raw_table` as the model compares it (`records_sql`). Needs the `nicknames` table."""
    con.sql(f"create or replace table {table} as {records_sql(raw_table, present, compared)}")


def open_linkage(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    *,
    present: set[str],
    compared: Sequence[str] = (),
    model: dict[str, Any] | None = None,
    feedback: Callable[[str], None] = FEEDBACK,
) -> Linkage:
    """Prepare `raw_table` (text columns, with `unique_id`, `source`, `record_id`) and bind a model to it."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    feedback("normalising records")
    con.sql("create or replace temp table nicknames (name varchar, canonical varchar)")
    con.executemany("insert into nicknames values (?, ?)", nickname_rows()).fetchall()
    prepare_records(con, raw_table, "__cxhub_records", present=present, compared=compared)
    records = int(con.execute("select count(*) from __cxhub_records").fetchall()[0][0])
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register("__cxhub_records", dataset_display_name="records")
    settings: SettingsCreator | dict[str, Any] = model if model is not None else model_settings(present, compared)
    linker = Linker(frame, settings, log_level=None)
    return Linkage(con=con, linker=linker, records=records, feedback=feedback)
