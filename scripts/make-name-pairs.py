#!/usr/bin/env python3
"""Writes the labelled set of organisation name pairs the name-matching test scores (seeded, reproducible).

Columns: name_a, name_b, label (same|different), category. Same: the variants departments really write
(region short or missing, 有限公司/有限责任公司, brackets and widths, spaces, province prefix, the same
branch written two ways, former names are tested separately). Different: firms that share region and legal
form, the same trade name in another industry or county, a head office and its branch, two branches,
another legal form, one character apart. A few pairs a clerk would call the same but the matcher cannot
know (bare trade names, typos) are kept in, so the figures are honest.
"""
import random, sys

rnd = random.Random(20261121)
brands = list("宏达鑫盛兴隆华泰鸿运金源恒通瑞丰顺昌利民荣发天成正大德新联宇信诚和旺佳福祥汇众创伟业博远昊晟润泽凯旋锦程同心益康")
industries = ["建设工程", "矿业", "有色金属", "商贸", "物流", "农业开发", "食品", "房地产开发", "电子科技", "新材料", "旅游开发",
              "医药", "餐饮管理", "建材", "环保科技", "机械制造", "汽车销售", "信息技术", "劳务", "装饰工程", "茶业", "石墨"]
counties = [("北湖区", "北湖"), ("苏仙区", "苏仙"), ("桂阳县", "桂阳"), ("宜章县", "宜章"), ("永兴县", "永兴"), ("嘉禾县", "嘉禾"),
            ("临武县", "临武"), ("汝城县", "汝城"), ("桂东县", "桂东"), ("安仁县", "安仁"), ("资兴市", "资兴")]
avoid = {short for _, short in counties} | {"郴州", "湖南"}

def brand():
    while True:
        b = rnd.choice(brands) + rnd.choice(brands)
        if b not in avoid and b[0] != b[1]:
            return b

def full_width(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)

pairs = []
def add(a, b, label, category):
    pairs.append((a, b, label, category))

for _ in range(22):
    b, ind = brand(), rnd.choice(industries)
    county, short = rnd.choice(counties)
    add(f"郴州市{b}{ind}有限公司", f"郴州{b}{ind}有限公司", "same", "city full vs short")
    add(f"郴州市{b}{ind}有限公司", f"{b}{ind}有限公司", "same", "region omitted")
    add(f"{county}{b}{ind}有限公司", f"{county}{b}{ind}有限责任公司", "same", "有限公司 = 有限责任公司")
    add(f"{b}（郴州）{ind}有限公司", f"{b}(郴州){ind}有限公司", "same", "full- and half-width brackets")
    add(f"{b}（郴州）{ind}有限公司", f"郴州{b}{ind}有限公司", "same", "region in brackets vs prefix")
    add(f"郴州市{b}{ind}有限公司", f"郴州市 {b}{ind} 有限公司", "same", "spaces")
    add(f"湖南省郴州市{b}{ind}有限公司", f"郴州市{b}{ind}有限公司", "same", "province before city")
    add(f"{county}{b}{ind}有限公司", f"{short}{b}{ind}有限公司", "same", "county full vs short")
    add(f"郴州市{b}{ind}有限公司{short}分公司", f"郴州市{b}{ind}有限公司{county}分公司", "same", "same branch, two spellings")
    add(f"郴州市{b}{ind}有限公司（{short}分公司）", f"郴州市{b}{ind}有限公司{short}分公司", "same", "branch in brackets")
    add(f"郴州市{b}{ind}有限责任公司", f"{b}{ind}有限公司", "same", "region omitted and form abbreviated")
    add(f"郴州市{b}{ind}股份有限公司", f"郴州{b}{ind}股份有限公司", "same", "joint stock, city short")

for _ in range(8):
    b, ind = brand(), rnd.choice(industries)
    latin = rnd.choice(["ABC", "TCL", "Hi", "E家", "K8", "UPS"])
    add(f"郴州市{latin}{b}{ind}有限公司", f"郴州市{full_width(latin)}{b}{ind}有限公司", "same", "full-width Latin")
    add(f"郴州市{latin}{b}{ind}有限公司", f"郴州市{latin.lower()}{b}{ind}有限公司", "same", "Latin case")
    county, short = rnd.choice(counties)
    add(f"{county}{b}{ind}专业合作社", f"{short}{b}{ind}专业合作社", "same", "cooperative, county short")

for _ in range(24):
    b1, b2, ind = brand(), brand(), rnd.choice(industries)
    if b1 == b2:
        continue
    county, short = rnd.choice(counties)
    add(f"郴州市{b1}{ind}有限公司", f"郴州市{b2}{ind}有限公司", "different", "other trade name, same region and form")
    add(f"{county}{b1}{ind}有限公司", f"{county}{b2}{ind}有限公司", "different", "other trade name, same county and form")
    ind2 = rnd.choice([i for i in industries if i != ind])
    add(f"郴州市{b1}{ind}有限公司", f"郴州市{b1}{ind2}有限公司", "different", "same trade name, other industry")
    c2 = rnd.choice([c for c in counties if c[0] != county])
    add(f"{county}{b1}{ind}有限公司", f"{c2[0]}{b1}{ind}有限公司", "different", "same name, other county")
    add(f"郴州市{b1}{ind}有限公司", f"郴州市{b1}{ind}有限公司{short}分公司", "different", "head office vs branch")
    add(f"郴州市{b1}{ind}有限公司{short}分公司", f"郴州市{b1}{ind}有限公司{c2[1]}分公司", "different", "two branches")
    add(f"郴州市{b1}{ind}有限公司", f"郴州市{b1}{ind}股份有限公司", "different", "limited vs joint stock")
    add(f"郴州市{b1}{ind}有限公司", f"郴州市{b1}{ind}集团有限公司", "different", "company vs group")
    b3 = b1[0] + rnd.choice([c for c in brands if c != b1[1]])
    if b3 not in avoid:
        add(f"郴州市{b1}{ind}有限公司", f"郴州市{b3}{ind}有限公司", "different", "one character apart")
    add(f"湖南{b1}{ind}有限公司", f"郴州市{b1}{ind}有限公司", "different", "province-registered vs city-registered")

# What a clerk would call the same but no name rule can know: kept so that the figures stay honest.
hard_same = [
    ("郴州市宏达商贸有限公司", "郴州宏达", "bare trade name"),
    ("郴州市鑫盛建设工程有限公司", "鑫盛建设", "shortened industry"),
    ("郴州市华泰物流有限公司", "郴州市华泰物流公司", "公司 without form"),
    ("郴州市金源矿业有限公司", "郴州市金源矿业有限公司", "identical"),
    ("郴州市恒通商贸有限公司", "郴洲市恒通商贸有限公司", "typo in region"),
    ("郴州市瑞丰食品有限公司", "郴州市瑞豐食品有限公司", "traditional character"),
    ("北湖区福祥餐饮管理有限公司", "郴州市北湖区福祥餐饮管理有限公司", "city before county"),
]
for a, b, c in hard_same:
    add(a, b, "same", "hard: " + c)
hard_different = [
    ("郴州市宏达商贸有限公司", "郴州市宏达商贸行", "company vs shop of the same name"),
    ("郴州市天成建材有限公司", "郴州市天成建材有限公司桂阳经营部", "head office vs sales office"),
]
for a, b, c in hard_different:
    add(a, b, "different", "hard: " + c)

seen, out = set(), []
for p in pairs:
    if (p[0], p[1]) not in seen:
        seen.add((p[0], p[1]))
        out.append(p)
path = sys.argv[1] if len(sys.argv) > 1 else "Tests/XinyongJointTests/Resources/name-pairs.tsv"
with open(path, "w", encoding="utf-8") as f:
    for a, b, label, category in out:
        f.write(f"{a}\t{b}\t{label}\t{category}\n")
print(f"{len(out)} pairs ({sum(1 for p in out if p[2] == 'same')} same) → {path}", file=sys.stderr)
