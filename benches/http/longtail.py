#!/usr/bin/env python3
"""Writes a long-tail request mix for the HTTP load test: one URL per line, drawn with Zipf
popularity (the k-th most popular request is asked about 1/k as often as the first), as on
municipal sites where a few default lists and popular words repeat and most requests are rare.

Two widths:
  narrow  930 distinct requests: 30 words, in 15 municipalities, near 10 town centres, browsing
          by theme, word pairs and type-ahead prefixes;
  wide    about 7,300 distinct requests: the same shapes with more variety per shape (label
          language, facet sets, radius and sort, filters), so that most of a 20-second run's
          distinct requests are asked for the first time during the run.

The draw is seeded, so the same arguments give the same file.

Usage: longtail.py BASE_URL {narrow,wide} COUNT [SEED] > urls.txt
"""

import bisect
import random
import sys
import urllib.parse

WORDS = [
    "kuoro", "vertaistuki", "kerho", "liikunta", "omaishoitajat", "nuoret", "kahvila", "ryhmä",
    "muistisairaus", "yksinäisyys", "tanssi", "lapsiperheet", "mielenterveys", "velat",
    "maahanmuuttajat", "eläkeläiset", "päihteet", "kuntosali", "retki", "käsityöt", "kirjasto",
    "vapaaehtoinen", "leiri", "diabetes", "syöpä", "sotaveteraanit", "partio", "teatteri", "kieli",
    "kokkikerho",
]
MUNICIPALITIES = [
    "091", "837", "853", "564", "297", "179", "398", "405", "109", "286", "743", "609", "167",
    "698", "020",
]
CENTRES = [
    "60.170,24.941", "61.498,23.761", "60.452,22.267", "65.012,25.465", "62.892,27.677",
    "62.242,25.747", "60.983,25.656", "61.059,28.186", "60.996,24.464", "60.867,26.704",
]
THEMES = ["mental_health", "culture", "physical_activity", "loneliness", "peer_support", "family"]
PREFIXES = [
    "kuo", "kuor", "ver", "vert", "vertai", "ker", "kerh", "lii", "liik", "oma", "omai", "nuo",
    "kah", "ryh", "mui", "muis", "yks", "tan", "lap", "mie", "vel", "maa", "elä", "päi", "kun",
    "ret", "käs", "kir", "vap", "lei",
]
LANGS = ["fi", "sv", "en"]
FACET_SETS = ["theme,target_group", "theme,municipality", "kind,target_group"]
RADII = ["5", "20", "50"]
SORTS = ["distance", "relevance"]
BROWSE_FILTERS = [
    "", "&free=true", "&accessible=true", "&online=true", "&plain_language=true",
    "&target_group=older_people", "&target_group=youth", "&target_group=families",
    "&target_group=carers", "&target_group=immigrants", "&kind=peer_support_group",
    "&kind=club", "&kind=exercise_group", "&kind=meeting_place", "&kind=course",
]

SHAPES = 6


def enc(word):
    return urllib.parse.quote(word, safe="")


def narrow(k):
    """Popularity rank k -> request; 930 distinct (ranks beyond them repeat the shapes)."""
    s, a = k % SHAPES, k // SHAPES
    w = enc(WORDS[a % len(WORDS)])
    m = MUNICIPALITIES[(a // len(WORDS)) % len(MUNICIPALITIES)]
    if s == 0:
        return f"/v1/search?q={w}"
    if s == 1:
        return f"/v1/search?q={w}&municipality={m}&facets=theme,target_group"
    if s == 2:
        c = CENTRES[(a // len(WORDS)) % len(CENTRES)]
        return f"/v1/search?q={w}&near={c}&radius_km=20&sort=distance"
    if s == 3:
        return f"/v1/search?municipality={m}&theme={THEMES[a % len(THEMES)]}"
    if s == 4:
        w2 = enc(WORDS[(a * 7 + 3) % len(WORDS)])
        return f"/v1/search?q={w}+{w2}"
    return f"/v1/suggest?q={enc(PREFIXES[a % len(PREFIXES)])}"


def digits(a, *radices):
    """Mixed-radix digits of a (least significant first)."""
    out = []
    for r in radices:
        out.append(a % r)
        a //= r
    return out


def wide(k):
    """Popularity rank k -> request; each shape has 540-1,350 distinct requests."""
    s, a = k % SHAPES, k // SHAPES
    if s == 0:
        w, m, lang = digits(a, len(WORDS), len(MUNICIPALITIES), len(LANGS))
        return f"/v1/search?q={enc(WORDS[w])}&municipality={MUNICIPALITIES[m]}&lang={LANGS[lang]}"
    if s == 1:
        w, m, f = digits(a, len(WORDS), len(MUNICIPALITIES), len(FACET_SETS))
        return (
            f"/v1/search?q={enc(WORDS[w])}&municipality={MUNICIPALITIES[m]}"
            f"&facets={FACET_SETS[f]}"
        )
    if s == 2:
        w, c, r, o = digits(a, len(WORDS), len(CENTRES), len(RADII), len(SORTS))
        return (
            f"/v1/search?q={enc(WORDS[w])}&near={CENTRES[c]}&radius_km={RADII[r]}"
            f"&sort={SORTS[o]}"
        )
    if s == 3:
        m, t, f = digits(a, len(MUNICIPALITIES), len(THEMES), len(BROWSE_FILTERS))
        return (
            f"/v1/search?municipality={MUNICIPALITIES[m]}&theme={THEMES[t]}"
            f"{BROWSE_FILTERS[f]}"
        )
    if s == 4:
        w, j, lang = digits(a, len(WORDS), len(WORDS) - 1, 2)
        w2 = (w + 1 + j) % len(WORDS)
        return f"/v1/search?q={enc(WORDS[w])}+{enc(WORDS[w2])}&lang={LANGS[lang]}"
    p, lang = digits(a, len(PREFIXES), len(LANGS))
    prefix = PREFIXES[p] if a < len(PREFIXES) * len(LANGS) else PREFIXES[p][:2]
    return f"/v1/suggest?q={enc(prefix)}&lang={LANGS[lang]}"


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("narrow", "wide"):
        sys.exit(__doc__)
    base, width, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    shape = narrow if width == "narrow" else wide
    ranks = len(WORDS) * len(MUNICIPALITIES) * SHAPES * 3
    cumulative, total = [], 0.0
    for k in range(1, ranks + 1):
        total += 1.0 / k
        cumulative.append(total)
    rng = random.Random(seed)
    out = sys.stdout
    for _ in range(count):
        k = bisect.bisect_left(cumulative, rng.random() * total)
        out.write(base + shape(k) + "\n")


if __name__ == "__main__":
    main()
