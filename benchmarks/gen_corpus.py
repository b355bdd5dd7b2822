"""Deterministic synthetic article corpus in the real records' format.

    python benchmarks/gen_corpus.py --n 100000 --seed 1 --out /tmp/corpus

One file per article, ``YYYY-MM-DD-slug.md``, YAML front matter between ``---``
lines and nothing after, shaped like the real exports in ``/work/shared/corpus``
(about 1.5-2 KB each). The mix is meant to be realistic, not friendly:

- ~60% ``published: true``; quality 0-150; heat usually equal to quality, sometimes -1;
- 1-3 of 40 topics (spaces, capitals, ``&``, ``/``, non-ASCII), popularity skewed;
- 500 providers (skewed: a few large, a long tail), some with a logo image;
- titles and excerpts with non-ASCII (accents, CJK, emoji), ``& < >``, quotes and
  HTML character references (``we&#8217;re``, ``&amp;``) as the real scrapes carry;
- 10% without images; ~7% videos with ``originalUrl`` only and a ``featuredContent``
  iframe; some ``ampWebUrl``; some ``related`` lists; some UTC offsets;
- ~25% CRLF files; ~0.5% duplicate stories (a ``webUrl`` recorded twice);
- a few broken records (``--broken``, default 0.1%): invalid YAML or no title.

The same ``--n`` and ``--seed`` give a byte-identical corpus (names and contents).
Standard library only, so it runs anywhere the benchmark does.
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

TOPICS: tuple[str, ...] = (
    "Power Apps", "Computer Vision", "IBM AI", "Machine Learning", "Künstliche Intelligenz",
    "Économie numérique", "Cloud Computing", "Teams integration", "Model-driven apps",
    "AI Builder", "Natural Language Processing", "Robotics", "Quantum Computing",
    "Cybersecurity", "Edge AI", "Deep Learning", "Data Science", "Power BI", "Azure", "AWS",
    "Google Cloud", "Open Source", "Autonomous Vehicles", "Healthcare AI", "FinTech",
    "Blockchain", "5G Networks", "Internet of Things", "Smart Cities", "Climate Tech",
    "Ethics & Policy", "C# / .NET", "Low-Code", "DevOps", "Kubernetes", "Privacy",
    "Startups", "東京 Tech", "Ελληνική Τεχνολογία", "Santé numérique",
)

_PROVIDER_FIRST = (
    "Daily", "Global", "Tech", "Morning", "Digital", "Northern", "Pacific", "Le", "Der", "El",
    "Nordic", "Silicon", "Open", "Future", "Smart", "Cloud", "Data", "Crypto", "Süd", "Urban",
)
_PROVIDER_SECOND = (
    "Times", "Post", "Herald", "Review", "Insider", "Wire", "Journal", "Chronicle", "Observer",
    "Gazette", "Tribune", "Report", "Weekly", "News", "Monitor", "Zeitung", "Courrier",
    "Diário", "Dispatch", "Ledger", "Bulletin", "Press", "Digest", "Register", "& Partners",
)
_TLDS = ("com", "com", "com", "net", "org", "co.uk", "de", "fr", "io", "com.br")

_WORDS = (
    "cloud", "model", "data", "platform", "launch", "update", "release", "preview",
    "developer", "apps", "security", "partner", "customer", "research", "network", "chip",
    "market", "growth", "startup", "funding", "team", "tools", "open", "source", "learning",
    "vision", "language", "robot", "analytics", "service", "edge", "device", "city", "health",
    "energy", "policy", "privacy", "report", "study", "review", "guide", "future", "scale",
    "performance", "integration", "support", "feature", "build", "deploy", "enterprise",
    "agent", "search", "mobile", "portal", "announces", "expands", "unveils", "improves",
    "brings", "adds", "tests", "shows", "reveals", "new", "faster", "smarter", "global",
    "local", "generally", "available", "public", "private", "hybrid", "quantum", "neural",
)
# Real scrapes carry these; each must survive into the feeds as the right text.
_SPICE = (
    "café", "Zürich", "naïve", "São Paulo", "Ελλάδα", "東京", "人工知能", "Москва", "🚀",
    "R&D", "AT&T", "<b>", "a < b", "x > y", "“quoted”", "it’s", "we&#8217;re",
    "Customer &amp; Partner", "\"AI\"", "—", "…", "•", "½", "€100", "O'Brien",
)
_START = datetime(2015, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = int((datetime(2026, 1, 1, tzinfo=UTC) - _START).total_seconds())
_OFFSETS = ("-07:00", "+02:00", "+05:30", "-03:00", "+09:00", "+01:00")


def _q(text: str) -> str:
    """A YAML double-quoted scalar, escaped the way the real exports are."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ascii_slug(text: str, limit: int = 70) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if c.isalnum() else " " for c in folded.lower()).split()
    return "-".join(words)[:limit].strip("-") or "story"


def _providers() -> list[tuple[str, str]]:
    """500 fixed (name, domain) pairs: part of the format, not of the seed."""
    out = []
    for i, first in enumerate(_PROVIDER_FIRST):
        for j, second in enumerate(_PROVIDER_SECOND):
            name = f"{first} {second}"
            tld = _TLDS[(i * 7 + j) % len(_TLDS)]
            out.append((name, f"{_ascii_slug(name).replace('-', '')}.{tld}"))
    return out


PROVIDERS: tuple[tuple[str, str], ...] = tuple(_providers())


def _text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(_SPICE))
    return " ".join(words)


def _stamp(rng: random.Random) -> tuple[datetime, str]:
    when = _START + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
    if rng.random() < 0.15:
        offset = rng.choice(_OFFSETS)
        sign = -1 if offset[0] == "-" else 1
        local = when + sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        return when, local.strftime("%Y-%m-%dT%H:%M:%S") + offset
    return when, when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _skewed(rng: random.Random, n: int, power: float) -> int:
    return min(n - 1, int(n * rng.random() ** power))


def _image_lines(url: str, width: int, height: int, indent: str, cached: bool) -> list[str]:
    lines = [f"{indent}- url: {_q(url)}", f"{indent}  width: {width}",
             f"{indent}  height: {height}"]
    if cached:
        lines.append(f"{indent}  isCached: true")
    return lines


def _related(rng: random.Random, when: datetime) -> list[str]:
    lines = ["related:"]
    for _ in range(rng.randint(1, 3)):
        name, domain = PROVIDERS[_skewed(rng, len(PROVIDERS), 2.0)]
        title = _text(rng, 5, 10).capitalize()
        stamp = (when - timedelta(hours=rng.randint(1, 96))).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines += [
            f"  - title: {_q(title)}",
            f"    excerpt: {_q(_text(rng, 12, 25))}",
            f"    publishedDateTime: {stamp}",
            f"    webUrl: {_q(f'https://www.{domain}/news/{_ascii_slug(title)}')}",
            "    type: article",
            "    provider:",
            f"      name: {_q(name)}",
            f"      domain: {domain}",
            f"    quality: {rng.randint(0, 150)}",
        ]
        if rng.random() < 0.7:
            lines.append("    images:")
            lines += _image_lines(f"https://cdn.{domain}/img/{rng.randrange(10**8)}.jpg",
                                  rng.choice((640, 1200, 1408)), rng.choice((360, 630, 792)),
                                  "      ", False)
    return lines + [""]


def _record(rng: random.Random, seen_urls: list[str], broken_rate: float) -> tuple[str, bytes]:
    """One article: (file stem without extension, file bytes)."""
    when, stamp = _stamp(rng)
    title = _text(rng, 5, 12)
    title = title[:1].upper() + title[1:]
    slug = _ascii_slug(title)
    name, domain = PROVIDERS[_skewed(rng, len(PROVIDERS), 2.0)]
    is_video = rng.random() < 0.07
    quality = rng.randint(0, 150)
    roll = rng.random()
    heat = quality if roll < 0.8 else (-1 if roll < 0.9 else rng.randint(0, 200))
    picks = [TOPICS[_skewed(rng, len(TOPICS), 1.6)] for _ in range(rng.randint(1, 3))]
    topics = list(dict.fromkeys(picks))  # distinct, in record order

    lines = ["---", "category: news", f"title: {_q(title)}",
             f"excerpt: {_q(_text(rng, 20, 45))}", f"publishedDateTime: {stamp}"]
    if is_video:
        video_id = base64.urlsafe_b64encode(rng.randbytes(8)).decode("ascii")[:11]
        url = f"https://youtube.com/watch?v={video_id}"
        lines.append(f"originalUrl: {_q(url)}")
    else:
        if seen_urls and rng.random() < 0.005:
            url = rng.choice(seen_urls)  # the same story recorded twice
        else:
            url = f"https://www.{domain}/{when:%Y/%m}/{slug}-{rng.randrange(10**7, 10**8)}"
            if len(seen_urls) < 5000:
                seen_urls.append(url)
        lines += [f"originalUrl: {_q(url)}", f"webUrl: {_q(url)}"]
        if rng.random() < 0.06:
            amp = url.replace("https://www.", "https://amp.")
            cdn = f"https://{domain.replace('.', '-')}.cdn.ampproject.org/c/s/{amp[8:]}"
            lines += [f"ampWebUrl: {_q(amp)}", f"cdnAmpWebUrl: {_q(cdn)}"]
    lines += [f"type: {'video' if is_video else 'article'}", f"quality: {quality}",
              f"heat: {heat}", f"published: {'true' if rng.random() < 0.6 else 'false'}", ""]
    if is_video:
        embed = (f'<iframe width="800" height="500" frameborder="0" '
                 f'src="https://www.youtube.com/embed/{url.rsplit("=", 1)[1]}" '
                 f'allow="accelerometer; autoplay; encrypted-media" allowfullscreen></iframe>')
        lines += [f"featuredContent: {_q(embed)}", ""]

    lines += ["provider:", f"  name: {_q(name)}", f"  domain: {domain}"]
    if rng.random() < 0.85:
        lines.append("  images:")
        lines += _image_lines(f"https://static.example.org/logos/{domain}-50x50.jpg",
                              50, 50, "    ", False)
    # Plain scalars like the real files, quoted only where YAML needs it ("C# / .NET").
    lines += ["", "topics:"] + [f"  - {_q(t) if '#' in t else t}" for t in topics] + [""]

    if rng.random() < 0.9:
        lines.append("images:")
        for _ in range(1 if rng.random() < 0.85 else 2):
            if is_video:
                image = f"https://i.ytimg.com/vi/{url.rsplit('=', 1)[1]}/maxresdefault.jpg"
            else:
                image = f"https://www.{domain}/wp-content/uploads/{when:%Y/%m}/{slug[:40]}.jpg"
            lines += _image_lines(image, rng.choice((600, 1024, 1200, 1280)),
                                  rng.choice((338, 630, 714, 720)), "  ", rng.random() < 0.9)
        lines.append("")
    if rng.random() < 0.05:
        lines += _related(rng, when)

    token = base64.b64encode(rng.randbytes(rng.randint(280, 400))).decode("ascii")
    tail = base64.b64encode(rng.randbytes(16)).decode("ascii")
    # Real exports end with the closing line and one empty line.
    lines += [f"secured: {_q(token + ';' + tail)}", "---", "", ""]

    if rng.random() < broken_rate:
        if rng.random() < 0.5:
            lines[2] = 'title: "an unterminated quote'  # invalid YAML
        else:
            del lines[2]  # no title
    newline = "\r\n" if rng.random() < 0.25 else "\n"
    return f"{when:%Y-%m-%d}-{slug[:60].rstrip('-')}", newline.join(lines).encode("utf-8")


def iter_records(n: int, seed: int, broken_rate: float = 0.001) -> Iterator[tuple[str, bytes]]:
    """``n`` (file name, bytes) pairs; file names are unique. Pure: no I/O."""
    rng = random.Random(seed)
    seen_urls: list[str] = []
    names: set[str] = set()
    for _ in range(n):
        stem, data = _record(rng, seen_urls, broken_rate)
        name, k = f"{stem}.md", 2
        while name in names:
            name, k = f"{stem}-{k}.md", k + 1
        names.add(name)
        yield name, data


def generate(out: Path, n: int, seed: int, broken_rate: float = 0.001) -> int:
    """Write the corpus into ``out`` (created; must be empty). Returns bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out}: folder is not empty")
    total = 0
    for name, data in iter_records(n, seed, broken_rate):
        with open(out / name, "wb") as f:
            f.write(data)
        total += len(data)
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--out", type=Path, required=True, help="empty or new folder")
    parser.add_argument("--broken", type=float, default=0.001, metavar="RATE",
                        help="share of broken records (default: 0.001)")
    args = parser.parse_args(argv)
    if args.n < 0 or not 0 <= args.broken <= 1:
        parser.error("--n must be >= 0 and --broken between 0 and 1")
    try:
        size = generate(args.out, args.n, args.seed, args.broken)
    except OSError as exc:
        print(f"gen_corpus: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.n:,} files, {size / 1e6:,.1f} MB, into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
