#!/usr/bin/env python3
"""Recompute a published double-random inspection draw (docs/inspections.md) without the platform.

    python3 scripts/verify_inspection.py plan.json          # saved from /api/v1/inspections/{id}
    python3 scripts/verify_inspection.py https://host/api/v1/inspections/CC20261102-1A2B3C4D

Prints "match" and exits 0 when the published targets and inspectors are what the published plan, candidate
list and public value give; otherwise prints every difference and exits 1. Standard library only.
"""
import hashlib
import json
import sys
import urllib.request


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value):
    """Sorted keys, no spaces, UTF-8 as is: the form whose SHA-256 the platform publishes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def by_bytes(text):
    return text.encode("utf-8")


def region_prefix(code):
    """431000 -> 4310, 430000 -> 43: a region covers every code that starts with its prefix."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def fingerprint(candidates):
    ordered = sorted(candidates, key=lambda c: by_bytes(c["subject_id"]))
    return sha256("".join(f'{c["subject_id"]}\t{c["risk_class"]}\t{c["region_code"]}\n' for c in ordered))


def conflicts(inspector, candidate):
    return candidate["subject_id"] in inspector["conflict_subjects"] or any(
        candidate["region_code"].startswith(region_prefix(r)) for r in inspector["conflict_regions"])


def draw(plan, plan_sha256, candidates, public_value):
    seed = sha256(f"{plan_sha256}|{public_value}")
    ordered = sorted(candidates, key=lambda c: by_bytes(c["subject_id"]))
    drawn = []
    for stratum in plan["strata"]:
        members = [c for c in ordered if c["risk_class"] == stratum["risk_class"]]
        keyed = sorted(((sha256(f'{seed}|{stratum["risk_class"]}|{c["subject_id"]}'), by_bytes(c["subject_id"]), c) for c in members),
                       key=lambda t: (t[0], t[1]))
        k = (stratum["ratio_bp"] * len(members) + 9999) // 10000
        drawn += [(c, rank + 1, key) for rank, (key, _, c) in enumerate(keyed[:k])]
    load, targets = {}, []
    for candidate, rank, key in drawn:
        ranked = sorted(plan["inspectors"],
                        key=lambda i: (sha256(f'{seed}|inspector|{candidate["subject_id"]}|{i["id"]}'), by_bytes(i["id"])))
        team = []
        for inspector in ranked:
            if len(team) == plan["inspectors_per_target"]:
                break
            if conflicts(inspector, candidate) or load.get(inspector["id"], 0) >= plan["max_targets_per_inspector"]:
                continue
            team.append(inspector["id"])
            load[inspector["id"]] = load.get(inspector["id"], 0) + 1
        if len(team) < plan["inspectors_per_target"]:
            raise ValueError(f'target {candidate["subject_id"]} cannot be staffed')
        targets.append({"subject_id": candidate["subject_id"], "risk_class": candidate["risk_class"], "rank": rank, "key": key,
                        "inspectors": team})
    return seed, targets


def verify(published):
    problems = []
    text = published["plan"]
    plan = json.loads(text)
    if canonical(plan) != text:
        problems.append("the plan text is not in canonical form")
    if sha256(text) != published["plan_sha256"]:
        problems.append(f'the plan text hashes to {sha256(text)}, not the published {published["plan_sha256"]}')
    candidates = published["candidates"]
    if fingerprint(candidates) != plan["candidate_fingerprint"] or len(candidates) != plan["candidate_count"]:
        problems.append("the candidate list is not the one the plan published")
    if published.get("public_value") is None:
        return problems + ["the plan has not been drawn"]
    seed, targets = draw(plan, sha256(text), candidates, published["public_value"])
    if seed != published["seed"]:
        problems.append(f'the seed is {seed}, not the published {published["seed"]}')
    mine = {t["subject_id"]: t for t in targets}
    theirs = {t["subject_id"]: t for t in published["targets"]}
    for sid in sorted(set(mine) - set(theirs)):
        problems.append(f"{sid} should have been drawn")
    for sid in sorted(set(theirs) - set(mine)):
        problems.append(f"{sid} was published as drawn but the draw does not choose it")
    for sid in sorted(set(mine) & set(theirs)):
        for field in ("risk_class", "rank", "key", "inspectors"):
            if mine[sid][field] != theirs[sid][field]:
                problems.append(f"{sid}: {field} {theirs[sid][field]} published, {mine[sid][field]} drawn")
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source) as response:
            published = json.load(response)
    else:
        with open(source, encoding="utf-8") as f:
            published = json.load(f)
    problems = verify(published)
    if problems:
        print("MISMATCH")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f'match: plan {published["id"]}, seed {published["seed"]}, {len(published["targets"])} targets')


if __name__ == "__main__":
    main()
