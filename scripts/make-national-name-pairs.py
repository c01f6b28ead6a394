#!/usr/bin/env python3
"""Writes a held-out labelled set of organisation name pairs from every prefecture-level city in China
(seeded, reproducible), kept apart from the Chenzhou set the matcher was tuned on (make-name-pairs.py):
its own seed, its own trade names and industries, and variants the tuning set lacks.

Same: the city written short (韶关 for 韶关市, 延边 for 延边朝鲜族自治州, 大兴安岭 for 大兴安岭地区),
a 集团 with and without its legal form, 有限公司 = 有限责任公司, full- and half-width brackets, the city
in brackets. Different: another city, another trade name, limited vs joint stock, a group vs its
member company, head office vs branch.

    scripts/make-national-name-pairs.py [OUT.tsv [SEED]]   # default Tests/XinyongJointTests/Resources/name-pairs-national.tsv, seed 20261130
"""
import csv, os, random, sys

root = os.path.join(os.path.dirname(__file__), "..")
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20261130)
brands = list("嘉禾铭泰骏驰安澜璟瑞拓维晨曦翔宇蓝海星河中科华信致远启航丰源卓越永兴宏图聚能")
industries = ["茶业", "纺织", "水泥", "陶瓷", "光电", "家具", "酿酒", "渔业", "水产", "粮油", "果业", "印务", "港务", "钢构"]
suffixes = ["特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "省", "市", "区", "县", "旗", "盟", "州"]
ethnic = ["壮族", "回族", "维吾尔", "蒙古族", "土家族苗族", "苗族侗族", "藏族", "朝鲜族", "布依族苗族", "哈尼族彝族", "傣族",
          "彝族", "白族", "傣族景颇族", "傈僳族", "哈萨克", "柯尔克孜", "蒙古", "羌族", "藏族羌族"]

cities = []
with open(os.path.join(root, "Sources/XinyongModel/Resources/regions.csv"), encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["level"] != "prefecture":
            continue
        name = row["name"]
        suffix = next((s for s in suffixes if name.endswith(s)), None)
        if suffix is None:
            continue
        stem = name[: -len(suffix)]
        for e in sorted(ethnic, key=len, reverse=True):
            if stem.endswith(e):
                stem = stem[: -len(e)]
                break
        if len(stem) >= 2 and (row["code"][:2], name) not in {(c[2], c[0]) for c in cities}:
            cities.append((name, stem, row["code"][:2]))

def brand():
    return rnd.choice(brands) + rnd.choice(brands)

pairs = []
def add(a, b, label, category):
    pairs.append((a, b, label, category))

for name, short, province in cities:
    b, ind = brand(), rnd.choice(industries)
    other = rnd.choice([c for c in cities if c[1] != short])
    add(f"{name}{b}{ind}有限公司", f"{short}{b}{ind}有限公司", "same", "city short form")
    add(f"{short}{b}{ind}集团有限公司", f"{short}{b}{ind}（集团）", "same", "group without legal form")
    add(f"{name}{b}{ind}集团有限公司", f"{short}{b}{ind}集团公司", "same", "group company, city short")
    add(f"{name}{b}{ind}有限公司", f"{short}{b}{ind}有限责任公司", "same", "有限公司 = 有限责任公司, city short")
    add(f"{b}（{short}）{ind}股份有限公司", f"{b}({short}){ind}股份有限公司", "same", "full- and half-width brackets")
    add(f"{b}（{short}）{ind}有限公司", f"{name}{b}{ind}有限公司", "same", "city in brackets vs prefix")
    add(f"{name}{b}{ind}有限公司", f"{other[0]}{b}{ind}有限公司", "different", "same name, other city")
    add(f"{short}{b}{ind}有限公司", f"{other[1]}{b}{ind}有限公司", "different", "same name, other city, both short")
    b2 = brand()
    if b2 != b:
        add(f"{name}{b}{ind}有限公司", f"{short}{b2}{ind}有限公司", "different", "other trade name")
    add(f"{name}{b}{ind}有限公司", f"{name}{b}{ind}股份有限公司", "different", "limited vs joint stock")
    add(f"{short}{b}{ind}集团有限公司", f"{short}{b}{ind}有限公司", "different", "group vs company")
    add(f"{name}{b}{ind}有限公司", f"{name}{b}{ind}有限公司{short}分公司", "different", "head office vs branch")

seen, out = set(), []
for p in pairs:
    if (p[0], p[1]) not in seen and p[0] != p[1]:
        seen.add((p[0], p[1]))
        out.append(p)
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests/XinyongJointTests/Resources/name-pairs-national.tsv")
with open(path, "w", encoding="utf-8") as f:
    for a, b, label, category in out:
        f.write(f"{a}\t{b}\t{label}\t{category}\n")
print(f"{len(out)} pairs ({sum(1 for p in out if p[2] == 'same')} same) from {len(cities)} prefecture-level cities → {path}", file=sys.stderr)
