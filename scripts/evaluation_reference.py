#!/usr/bin/env python3
"""An independent reference for the public credit evaluation (issue 12), written from the model file's
documented meaning, not from the Swift code: it reads a SQLite database the platform evaluated, picks
subjects at random, scores their counted records again and compares score, grade, vetoes, contributions
and reason codes with what the engine stored.

    python3 scripts/evaluation_reference.py DATABASE.sqlite [--sample 1000] [--seed 1]

Exit status 0 when every sampled subject agrees; 1 with each disagreement printed otherwise.
Standard library only.
"""
import argparse
import json
import math
import random
import sqlite3
import sys

# The lists records put their subject on (DESIGN.md glossary; CreditList in the model).
LISTS = {"honour": "red", "tax_grade_a": "red", "judgment_defaulter": "black",
         "serious_dishonesty": "black", "abnormal_operation": "watch"}
GRADES = ["A", "B", "C", "D"]
DAYS_PER_MONTH = 30.4375
MAX_REASONS = 4


def day_number(text):
    """Days since 1970-01-01 of a YYYY-MM-DD date (proleptic Gregorian)."""
    import datetime
    return (datetime.date.fromisoformat(text) - datetime.date(1970, 1, 1)).days


def round2(x):
    """Round half away from zero to cents (scores are never negative)."""
    y = x * 100
    r = math.floor(y)
    if y - r >= 0.5:
        r += 1
    return r / 100


class Model:
    def __init__(self, model, types):
        self.model = model
        self.types = types  # code -> {polarity, section}
        sections = {s["code"]: s for s in model["sections"]}
        self.weights = {}
        for code in sections:
            w, node = 1.0, sections[code]
            while True:
                w *= node["weight"]
                if node.get("parent") is None:
                    break
                node = sections[node["parent"]]
            self.weights[code] = w
        self.rules = {}
        for rule in model["rules"]:
            key = (rule.get("recordType"), rule.get("tier"), None if rule.get("recordType") else rule.get("polarity"))
            self.rules[key] = rule

    def rule_for(self, record_type, tier):
        if tier is not None and (record_type, tier, None) in self.rules:
            return self.rules[(record_type, tier, None)]
        if (record_type, None, None) in self.rules:
            return self.rules[(record_type, None, None)]
        kind = self.types.get(record_type, {})
        # A business association's record is scored only by a rule naming its type, never by its polarity.
        if kind.get("source_kind") == "association":
            return None
        return self.rules.get((None, None, kind.get("polarity")))

    @staticmethod
    def decay(decay, age_days):
        months = max(0, age_days) / DAYS_PER_MONTH
        if decay["kind"] == "none":
            return 1.0
        m = decay.get("months") or 1
        if decay["kind"] == "linear":
            return max(0.0, 1 - months / m)
        return 0.5 ** (months / m)

    def evaluate(self, records, as_of):
        by_rule = {}
        for r in records:
            rule = self.rule_for(r["type"], r["tier"])
            if rule is None:
                continue
            section = self.types[r["type"]]["section"]
            weight = self.weights.get(section, 1.0)
            raw = rule["points"] * weight * self.decay(rule["decay"], as_of - r["date"])
            by_rule.setdefault(rule["id"], []).append({"rule": rule["id"], "record": r["id"], "type": r["type"], "raw": raw})
        contributions = []
        for rule in self.model["rules"]:
            items = sorted(by_rule.get(rule["id"], []), key=lambda c: (-abs(c["raw"]), c["record"]))
            used = 0.0
            for c in items:
                magnitude = min(abs(c["raw"]), max(0.0, rule["cap"] - used))
                used += magnitude
                c["points"] = -magnitude if c["raw"] < 0 else magnitude
                contributions.append(c)
        total = self.model["baseScore"]
        for c in contributions:
            total += c["points"]
        score = round2(min(100.0, max(0.0, total)))
        thresholds = sorted(self.model["thresholds"], key=lambda t: -t["minimum"])
        grade = next((t["grade"] for t in thresholds if score >= t["minimum"]), "D")
        vetoes = []
        for veto in self.model["vetoes"]:
            hits = [r["id"] for r in records
                    if (veto.get("recordType") and r["type"] == veto["recordType"])
                    or (not veto.get("recordType") and veto.get("list") and LISTS.get(r["type"]) == veto["list"])]
            if hits:
                vetoes.append({"vetoID": veto["id"], "recordID": min(hits), "atMost": veto["atMost"]})
                grade = max(grade, veto["atMost"], key=GRADES.index)
        negative = sorted((c for c in contributions if c["points"] < 0), key=lambda c: (c["points"], c["record"]))
        reasons = [(v["vetoID"], v["recordID"]) for v in vetoes] + [(c["rule"], c["record"]) for c in negative]
        return {"score": score, "grade": grade, "vetoes": vetoes, "contributions": contributions, "reasons": reasons[:MAX_REASONS]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--any", action="store_true",
                        help="sample among all subjects; by default among those with a scored record or a veto, where mistakes can hide")
    args = parser.parse_args()
    db = sqlite3.connect(args.database)
    models = {v: json.loads(d) for v, d in db.execute("SELECT version, definition FROM evaluation_models")}
    types = {}
    for code, definition in db.execute("SELECT code, definition FROM record_types ORDER BY version"):
        t = json.loads(definition)
        types[code] = {"polarity": t["polarity"], "section": t["section"], "source_kind": t.get("sourceKind", "government")}
    ids = [row[0] for row in db.execute(
        "SELECT subject_id FROM evaluation_results" if args.any else
        "SELECT subject_id FROM evaluation_results WHERE veto IS NOT NULL "
        "OR subject_id IN (SELECT subject_id FROM evaluation_contributions) ORDER BY subject_id")]
    if not ids:
        print("no evaluated subjects to sample")
        return 1
    ids.sort()
    sample = random.Random(args.seed).sample(ids, min(args.sample, len(ids)))
    problems = 0
    for subject in sample:
        version, as_of, score, grade, veto, reasons = db.execute(
            "SELECT model_version, as_of, score, grade, veto, reasons FROM evaluation_results WHERE subject_id = ?", (subject,)).fetchone()
        model = Model(models[version], types)
        rows = db.execute(
            "SELECT id, record_type, tier, decision_date FROM credit_records WHERE subject_id = ? AND status = 'active' "
            "AND publicity_start <= ? AND publicity_end > ?", (subject, as_of, as_of)).fetchall()
        records = [{"id": i, "type": t, "tier": tier, "date": day_number(d)} for i, t, tier, d in rows]
        ours = model.evaluate(records, day_number(as_of))
        stored = {row[0]: row[1] for row in db.execute(
            "SELECT record_id, points FROM evaluation_contributions WHERE subject_id = ?", (subject,))}
        mine = {c["record"]: c["points"] for c in ours["contributions"]}
        stored_reasons = [(r["code"], r["recordID"]) for r in json.loads(reasons)]
        stored_vetoes = [(v["vetoID"], v["recordID"]) for v in json.loads(veto)] if veto else []
        diffs = []
        if abs(ours["score"] - score) > 1e-9:
            diffs.append(f"score {score} vs reference {ours['score']}")
        if ours["grade"] != grade:
            diffs.append(f"grade {grade} vs reference {ours['grade']}")
        if set(mine) != set(stored) or any(abs(mine[k] - stored[k]) > 1e-9 for k in mine):
            diffs.append(f"contributions {stored} vs reference {mine}")
        if stored_reasons != ours["reasons"]:
            diffs.append(f"reasons {stored_reasons} vs reference {ours['reasons']}")
        if stored_vetoes != [(v["vetoID"], v["recordID"]) for v in ours["vetoes"]]:
            diffs.append(f"vetoes {stored_vetoes} vs reference {ours['vetoes']}")
        if diffs:
            problems += 1
            print(f"{subject}: " + "; ".join(diffs))
    grades = {}
    for subject in sample:
        g = db.execute("SELECT grade FROM evaluation_results WHERE subject_id = ?", (subject,)).fetchone()[0]
        grades[g] = grades.get(g, 0) + 1
    print(f"{len(sample) - problems} of {len(sample)} sampled subjects agree "
          f"(grades in the sample: {', '.join(f'{g} {grades.get(g, 0)}' for g in GRADES)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
