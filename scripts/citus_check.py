#!/usr/bin/env python3
"""Checks Xinyong's schema against Citus's rules for distributed and reference tables.

Citus is not installed here, so this reads the schema and applies the rules Citus documents
(docs/scaling.md cites them):

  1. A distributed table has its distribution column, and the column is NOT NULL
     (Citus refuses an INSERT with NULL in the distribution column).
  2. Every PRIMARY KEY and UNIQUE index or constraint of a distributed table includes the
     distribution column (otherwise create_distributed_table fails: "Distributed relations cannot
     have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not include the partition column").
  3. A foreign key between two distributed tables joins co-located tables and includes the
     distribution column on both sides, in the same position.
  4. A foreign key from a distributed table goes to a co-located distributed table or to a
     reference table, never to a local table.
  5. A reference table references only reference tables.
  6. A local (coordinator) table references only local or reference tables; a key to a
     reference table needs the coordinator in Citus's metadata (a "Citus local table").
  7. Every ON CONFLICT target that the code names (raw SQL, SQLKit onConflict(with:)) on a
     distributed table includes the distribution column.
  8. Warnings, not failures: identity/serial columns on distributed tables (Citus makes their
     values unique per node, not increasing across the cluster) and triggers on distributed or
     reference tables (they must be created per shard or with citus.enable_unsafe_triggers).

What it cannot check: whether queries push down to one shard, how Citus plans joins, 2PC costs,
and anything else that needs Citus itself.

Input, one of:
  --dump FILE           a `pg_dump --schema-only` of a migrated PostgreSQL database (preferred);
  --database-url URL    run pg_dump on that database first (PostgreSQL's binaries on PATH or in
                        /usr/lib/postgresql/*/bin);
  (neither)             read the migrations' SQL straight from Sources/XinyongStore/*.swift
                        (PostgreSQL branch of each dialect switch; statements with unresolved
                        Swift interpolation are skipped and named).

The plan (which table is distributed, by what, and which are reference or local) is PLAN below;
docs/scaling.md explains it. Exit status: 0 when the schema satisfies every rule under the plan,
1 when anything must change (each finding is printed), 2 on a usage or parse error.

Python 3 standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from collections import OrderedDict

# ---------------------------------------------------------------------------------------------
# The plan. ("distributed", column, co-location group) | ("reference",) | ("local",)
# ---------------------------------------------------------------------------------------------

S = "subject"  # the co-location group of everything keyed by subject

PLAN = OrderedDict([
    # Distributed by subject, co-located with subjects.
    ("subjects", ("distributed", "id", S)),
    ("credit_records", ("distributed", "subject_id", S)),
    ("record_history", ("distributed", "subject_id", S)),
    # The logs: one ordered log per shard, addressed by shard_key, the anchor key of the subject's
    # shard (docs/scaling.md, "The change feed" and "The audit trail").
    ("changes", ("distributed", "shard_key", S)),
    ("list_memberships", ("distributed", "subject_id", S)),
    ("subject_search", ("distributed", "subject_id", S)),
    ("evaluation_results", ("distributed", "subject_id", S)),
    ("evaluation_contributions", ("distributed", "subject_id", S)),
    ("evaluation_history", ("distributed", "subject_id", S)),
    ("commitments", ("distributed", "subject_id", S)),
    ("notices", ("distributed", "subject_id", S)),
    ("objections", ("distributed", "subject_id", S)),
    ("repair_applications", ("distributed", "subject_id", S)),
    ("evidence_files", ("distributed", "subject_id", S)),
    ("credit_reports", ("distributed", "subject_id", S)),
    ("record_recipients", ("distributed", "subject_id", S)),
    ("record_deliveries", ("distributed", "subject_id", S)),
    ("checks", ("distributed", "subject_id", S)),
    ("check_measures", ("distributed", "subject_id", S)),
    ("consents", ("distributed", "subject_id", S)),
    ("agency_access_log", ("distributed", "subject_id", S)),
    ("inspection_candidates", ("distributed", "subject_id", S)),
    ("inspection_targets", ("distributed", "subject_id", S)),
    ("park_members", ("distributed", "subject_id", S)),
    ("audit_log", ("distributed", "shard_key", S)),
    ("audit_chain", ("distributed", "shard_key", S)),
    ("feed_cursors", ("distributed", "shard_key", S)),
    # Distributed by the folded name: a check by name looks one name key up.
    ("subject_name_keys", ("distributed", "name_key", "name")),
    # Reference tables: small, read by every shard's joins, rarely written.
    ("regions", ("reference",)),
    ("departments", ("reference",)),
    ("catalog_versions", ("reference",)),
    ("record_types", ("reference",)),
    ("measure_catalog_versions", ("reference",)),
    ("evaluation_models", ("reference",)),
    ("joint_settings", ("reference",)),
    ("name_overrides", ("reference",)),
    ("agencies", ("reference",)),
    ("parks", ("reference",)),
    ("park_reviews", ("reference",)),
    ("inspection_plans", ("reference",)),
    ("inspection_mappings", ("reference",)),
    ("monitoring_editions", ("reference",)),
    ("department_webhooks", ("reference",)),
    ("api_keys", ("reference",)),
    ("audit_checkpoints", ("reference",)),
    # Local to the coordinator: the office's own work, not joined with subject data on workers.
    ("users", ("local",)),
    ("sessions", ("local",)),
    ("batches", ("local",)),
    ("batch_issues", ("local",)),
    ("evaluation_cursor", ("local",)),
    ("articles", ("local",)),
    ("monitoring_values", ("local",)),
    ("monitoring_events", ("local",)),
    ("monitoring_results", ("local",)),
    ("_fluent_migrations", ("local",)),
])


class Table:
    def __init__(self, name):
        self.name = name
        self.columns = OrderedDict()  # name -> {"not_null": bool, "identity": bool}
        self.uniques = []  # (label, [cols])
        self.fks = []  # (label, [cols], ref_table, [ref_cols])
        self.triggers = []  # names


def split_top_level(body, sep=","):
    parts, depth, current, quote = [], 0, [], None
    for ch in body:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def cols(text):
    return [c.strip().strip('"') for c in text.split(",") if c.strip()]


def unq(name):
    name = name.strip().strip('"')
    return name[len("public."):] if name.startswith("public.") else name


def matching_paren(text, start):
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


# ---------------------------------------------------------------------------------------------
# One parser for SQL statements, whether from pg_dump or from the migrations.
# ---------------------------------------------------------------------------------------------

IDENT = r'("?[A-Za-z_][A-Za-z0-9_.]*"?(?:\."?[A-Za-z_][A-Za-z0-9_]*"?)?)'


def parse_statements(statements, tables, notes):
    for stmt in statements:
        s = " ".join(stmt.split())
        m = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?" + IDENT + r" \(", s, re.I)
        if m:
            t = tables.setdefault(unq(m.group(1)), Table(unq(m.group(1))))
            open_at = s.index("(", m.end() - 1)
            body = s[open_at + 1:matching_paren(s, open_at)]
            for item in split_top_level(body):
                add_table_item(t, item, notes)
            continue
        m = re.match(r"CREATE UNIQUE INDEX (?:IF NOT EXISTS )?" + IDENT + r" ON (?:ONLY )?" + IDENT +
                     r"(?: USING \w+)? \((.*)\)", s, re.I)
        if m:
            t = tables.get(unq(m.group(2)))
            if t is None:
                notes.append("unique index %s on unknown table %s" % (m.group(1), m.group(2)))
                continue
            t.uniques.append(("unique index " + unq(m.group(1)), cols(m.group(3))))
            continue
        m = re.match(r"ALTER TABLE (?:ONLY )?" + IDENT + r" ADD (COLUMN|CONSTRAINT) (.*)$", s, re.I)
        if m:
            t = tables.get(unq(m.group(1)))
            if t is None:
                notes.append("ALTER of unknown table %s" % m.group(1))
                continue
            rest = m.group(3)
            if m.group(2).upper() == "COLUMN":
                add_table_item(t, rest, notes)
            else:
                label, _, constraint = rest.partition(" ")
                add_table_item(t, constraint, notes, label=unq(label))
            continue
        m = re.match(r"ALTER TABLE (?:ONLY )?" + IDENT + r" ALTER COLUMN (\w+) ADD GENERATED", s, re.I)
        if m and unq(m.group(1)) in tables:
            col = tables[unq(m.group(1))].columns.get(m.group(2))
            if col is not None:
                col["identity"] = True
            continue
        m = re.match(r"CREATE TRIGGER (\w+) .*? ON " + IDENT + r" ", s, re.I)
        if m:
            t = tables.get(unq(m.group(2)))
            if t is not None:
                t.triggers.append(m.group(1))
            continue


def add_table_item(t, item, notes, label=None):
    u = item.upper()
    m = re.match(r"(?:CONSTRAINT (\S+) )?PRIMARY KEY \((.*?)\)", item, re.I)
    if m:
        t.uniques.append(("primary key " + (label or m.group(1) or t.name + "_pkey"), cols(m.group(2))))
        return
    m = re.match(r"(?:CONSTRAINT (\S+) )?UNIQUE \((.*?)\)", item, re.I)
    if m:
        t.uniques.append(("unique constraint " + (label or m.group(1) or "?"), cols(m.group(2))))
        return
    m = re.match(r"(?:CONSTRAINT (\S+) )?FOREIGN KEY \((.*?)\) REFERENCES " + IDENT + r" ?\((.*?)\)", item, re.I)
    if m:
        t.fks.append(("foreign key " + (label or m.group(1) or "?"), cols(m.group(2)), unq(m.group(3)), cols(m.group(4))))
        return
    if u.startswith(("CHECK ", "CONSTRAINT ", "EXCLUDE ")):
        if u.startswith("EXCLUDE"):
            notes.append("%s: exclusion constraint not checked: %s" % (t.name, item))
        return
    # A column definition, with inline constraints.
    m = re.match(r'("?\w+"?) (.*)$', item)
    if not m:
        notes.append("%s: could not read %r" % (t.name, item))
        return
    name, rest = m.group(1).strip('"'), m.group(2)
    urest = rest.upper()
    t.columns[name] = {"not_null": "NOT NULL" in urest or "PRIMARY KEY" in urest,
                       "identity": "GENERATED" in urest or "AUTOINCREMENT" in urest or "SERIAL" in urest}
    if "PRIMARY KEY" in urest:
        t.uniques.append(("primary key " + t.name + "_pkey", [name]))
    elif re.search(r"\bUNIQUE\b", urest):
        t.uniques.append(("unique column " + name, [name]))
    r = re.search(r"REFERENCES " + IDENT + r" ?\((.*?)\)", rest, re.I)
    if r:
        t.fks.append(("foreign key " + t.name + "." + name, [name], unq(r.group(1)), cols(r.group(2))))


def statements_from_dump(text):
    # pg_dump ends every statement with ";\n"; drop comments and psql meta-commands.
    lines = [l for l in text.splitlines() if not l.startswith("--") and not l.startswith("\\")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


# PostgreSQL's value of the dialect switches the migrations interpolate.
SUBSTITUTIONS = {"serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "blob": "BYTEA"}


def statements_from_sources(root, notes):
    """The SQL of every migration, in migration order, PostgreSQL's side of each dialect switch."""
    found = []
    for path in sorted(glob.glob(os.path.join(root, "Sources", "XinyongStore", "*.swift"))):
        src = open(path, encoding="utf-8").read()
        starts = [(m.start(), int(m.group(1))) for m in re.finditer(r"struct M(\d{4})\w*: AsyncMigration", src)]
        if not starts:
            continue
        for m in re.finditer(r'"""\n(.*?)\n\s*"""|"((?:[^"\\\n]|\\.)*)"', src, re.S):
            text = m.group(1) if m.group(1) is not None else m.group(2)
            if not re.search(r"\b(CREATE (UNIQUE )?INDEX|CREATE TABLE|ALTER TABLE|CREATE TRIGGER)\b", text):
                continue
            owner = [n for (pos, n) in starts if pos < m.start()]
            if not owner:
                continue
            flat = " ".join(text.split())
            if "RAISE(ABORT" in flat or "VIRTUAL TABLE" in flat or re.search(r"\bBEGIN INSERT\b", flat):
                continue  # SQLite's side of a dialect switch
            for name, value in SUBSTITUTIONS.items():
                text = text.replace("\\(" + name + ")", value)
            variants = [text]
            if "\\(table)" in text:
                # `for table in ["a", "b"] { … "\(table)" … }` just before: one statement per table.
                loops = re.findall(r"for table in \[([^\]]*)\]", src[:m.start()])
                if loops:
                    variants = [text.replace("\\(table)", t.strip().strip('"')) for t in loops[-1].split(",")]
            for variant in variants:
                if "\\(" in variant:
                    notes.append("%s: skipped a statement with Swift interpolation: %s"
                                 % (os.path.basename(path), " ".join(variant.split())[:90]))
                    continue
                found.append((owner[-1], m.start(), path, variant))
    found.sort(key=lambda f: (f[0], f[2], f[1]))
    return [f[3] for f in found]


def on_conflict_targets(root):
    """(table, [columns], where) for every ON CONFLICT target the code names."""
    hits = []
    for path in sorted(glob.glob(os.path.join(root, "Sources", "**", "*.swift"), recursive=True)):
        src = open(path, encoding="utf-8").read()
        rel = os.path.relpath(path, root)
        for m in re.finditer(r"ON CONFLICT \(([^)]*)\)", src):
            ins = list(re.finditer(r"INSERT INTO (\w+)", src[max(0, m.start() - 1500):m.start()]))
            if ins:
                hits.append((ins[-1].group(1), cols(m.group(1)), "%s:%d" % (rel, src.count("\n", 0, m.start()) + 1)))
        for m in re.finditer(r"onConflict\(with: \[([^\]]*)\]", src):
            ins = list(re.finditer(r'insert\(into: "(\w+)"\)', src[max(0, m.start() - 1500):m.start()]))
            if ins:
                hits.append((ins[-1].group(1), [c.strip().strip('"') for c in m.group(1).split(",")],
                             "%s:%d" % (rel, src.count("\n", 0, m.start()) + 1)))
    return hits


# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------

def check(tables, conflicts):
    problems, warnings = [], []

    def kind(name):
        return PLAN.get(name, ("unplanned",))[0]

    for name in tables:
        if name not in PLAN:
            problems.append("%s: not in the plan (distributed, reference or local?)" % name)
    for name in PLAN:
        if name not in tables and name != "_fluent_migrations":  # Fluent's own, absent from the migrations' SQL
            warnings.append("%s: in the plan but not in the schema" % name)

    for name, t in tables.items():
        plan = PLAN.get(name)
        if plan is None:
            continue
        if plan[0] == "distributed":
            dist = plan[1]
            col = t.columns.get(dist)
            if col is None:
                problems.append("%s: distributed by %s, which it does not have" % (name, dist))
            elif not col["not_null"]:
                problems.append("%s: distribution column %s may be NULL" % (name, dist))
            for label, ucols in t.uniques:
                if dist not in ucols:
                    problems.append("%s: %s (%s) does not include %s" % (name, label, ", ".join(ucols), dist))
            for cname, c in t.columns.items():
                if c["identity"]:
                    warnings.append("%s.%s: identity column on a distributed table (unique per node, "
                                    "not increasing across the cluster)" % (name, cname))
            if t.triggers:
                warnings.append("%s: triggers %s must exist on every shard" % (name, ", ".join(t.triggers)))
        elif t.triggers:
            if plan[0] == "reference":
                warnings.append("%s: triggers %s on a reference table" % (name, ", ".join(t.triggers)))

        for label, fcols, ref, rcols in t.fks:
            rk = kind(ref)
            if plan[0] == "distributed":
                if rk == "reference":
                    continue
                if rk == "local":
                    problems.append("%s: %s → %s, a local table" % (name, label, ref))
                    continue
                rplan = PLAN.get(ref)
                if rplan is None:
                    continue
                if rplan[2] != plan[2]:
                    problems.append("%s: %s → %s, which is not co-located" % (name, label, ref))
                    continue
                ok = plan[1] in fcols and rplan[1] in rcols and fcols.index(plan[1]) == rcols.index(rplan[1])
                if not ok:
                    problems.append("%s: %s (%s) → %s (%s) does not pair %s with %s"
                                    % (name, label, ", ".join(fcols), ref, ", ".join(rcols), plan[1], rplan[1]))
            elif plan[0] == "reference":
                if rk != "reference":
                    problems.append("%s: reference table with %s → %s (%s)" % (name, label, ref, rk))
            elif plan[0] == "local":
                if rk == "distributed":
                    problems.append("%s: local table with %s → %s (distributed)" % (name, label, ref))
                elif rk == "reference":
                    warnings.append("%s: %s → %s (reference): needs the coordinator in the metadata "
                                    "(a Citus local table)" % (name, label, ref))

    for table, ccols, where in conflicts:
        plan = PLAN.get(table)
        if plan and plan[0] == "distributed" and plan[1] not in ccols:
            problems.append("%s: ON CONFLICT (%s) at %s does not include %s" % (table, ", ".join(ccols), where, plan[1]))
    return problems, warnings


def find_pg_dump():
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    return candidates[-1] if candidates else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dump", help="pg_dump --schema-only output of a migrated database")
    ap.add_argument("--database-url", help="postgres://… of a migrated database (runs pg_dump)")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                    help="the repository (default: this script's parent)")
    ap.add_argument("--plan", action="store_true", help="print the plan and exit")
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    if args.plan:
        for name, p in PLAN.items():
            print("%-26s %s" % (name, " ".join(p) if p[0] != "distributed" else "distributed by %s (group %s)" % (p[1], p[2])))
        return 0

    notes = []
    if args.dump or args.database_url:
        if args.database_url:
            pg_dump = find_pg_dump()
            if not pg_dump:
                print("citus_check: pg_dump not found", file=sys.stderr)
                return 2
            text = subprocess.run([pg_dump, "--schema-only", "--no-owner", "--no-privileges", args.database_url],
                                  check=True, capture_output=True, text=True).stdout
            source = "pg_dump of " + re.sub(r"//[^@/]*@", "//", args.database_url)
        else:
            text = open(args.dump, encoding="utf-8").read()
            source = args.dump
        statements = statements_from_dump(text)
    else:
        statements = statements_from_sources(root, notes)
        source = "migrations in Sources/XinyongStore (PostgreSQL branch)"

    tables = OrderedDict()
    parse_statements(statements, tables, notes)
    conflicts = on_conflict_targets(root)
    problems, warnings = check(tables, conflicts)

    n_unique = sum(len(t.uniques) for t in tables.values())
    n_fk = sum(len(t.fks) for t in tables.values())
    kinds = {}
    for name in tables:
        kinds[PLAN.get(name, ("unplanned",))[0]] = kinds.get(PLAN.get(name, ("unplanned",))[0], 0) + 1
    print("schema: %s" % source)
    print("read: %d tables (%s), %d primary keys and unique indexes/constraints, %d foreign keys, "
          "%d ON CONFLICT targets in Sources/"
          % (len(tables), ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items())), n_unique, n_fk, len(conflicts)))
    for n in notes:
        print("note: " + n)
    for w in warnings:
        print("warning: " + w)
    for p in problems:
        print("must change: " + p)
    print("%d to change, %d warnings" % (len(problems), len(warnings)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
