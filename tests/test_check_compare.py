"""Gate 1, `syndicate check --previous OLD NEW` and ``compare_feeds``: what changed between
two versions of a feed that makes readers misbehave. Pure comparisons first, then the CLI,
then our own builder's output (the committed feeds/)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.check.compare import compare_feeds
from syndicate.check.findings import Finding
from syndicate.check.run import Verdict, run_check
from syndicate.cli import main
from syndicate.serve import make_server

FEEDS = Path(__file__).parents[1] / "feeds"
Entry = tuple[str, str, str | None]  # id, link, published (RFC 3339) or None


def atom(entries: list[Entry], *, feed_id: str = "https://example.org/",
         self_url: str = "https://example.org/feed.atom",
         updated: str = "2024-03-10T00:00:00Z", extra: str = "") -> bytes:
    body = "".join(
        f"<entry><id>{i}</id><title>t</title><link href=\"{link}\"/>"
        f"<updated>{pub or '2024-01-01T00:00:00Z'}</updated>"
        + (f"<published>{pub}</published>" if pub else "") + "<summary>s</summary></entry>\n"
        for i, link, pub in entries)
    return (f'<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:at="http://purl.org/atompub/tombstones/1.0">\n'
            f"<title>T</title><id>{feed_id}</id><updated>{updated}</updated>\n"
            f'<link rel="self" href="{self_url}"/><author><name>A</name></author>\n'
            f"{extra}{body}</feed>\n").encode()


def rss(items: list[tuple[str | None, str, str | None]], *,
        last_build: str | None = None) -> bytes:
    body = "".join(
        "<item><title>t</title>" + (f"<guid>{g}</guid>" if g else "") + f"<link>{link}</link>"
        + (f"<pubDate>{pub}</pubDate>" if pub else "") + "</item>\n"
        for g, link, pub in items)
    stamp = f"<lastBuildDate>{last_build}</lastBuildDate>" if last_build else ""
    return (f'<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>'
            f"<description>d</description>{stamp}\n{body}</channel></rss>\n").encode()


def jsonfeed(items: list[Entry], feed_url: str = "https://example.org/feed.json") -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "T", "feed_url": feed_url,
        "items": [{"id": i, "url": link, "content_text": "x",
                   **({"date_published": pub} if pub else {})} for i, link, pub in items],
    }, indent=1).encode()


def got(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in found]


BASE: list[Entry] = [(f"https://example.org/{n}", f"https://example.org/p/{n}",
                      f"2024-03-0{9 - n}T00:00:00Z") for n in range(5)]  # newest first


def test_the_same_feed_twice_has_no_finding() -> None:
    assert compare_feeds(atom(BASE), atom(BASE)) == []


def test_a_window_sliding_on_is_fine() -> None:
    newer = [("https://example.org/new", "https://example.org/p/new", "2024-03-09T12:00:00Z")]
    assert compare_feeds(atom(BASE), atom(newer + BASE[:-1])) == []


def test_same_link_new_id_is_an_error_at_the_new_entry() -> None:
    changed = [("https://example.org/renamed", *BASE[2][1:]) if e is BASE[2] else e
               for e in BASE]
    found = compare_feeds(atom(BASE), atom(changed))
    assert got(found) == [("history.id-changed", "error")]
    assert found[0].line == 6  # the third entry of the new version (entries from line 4)
    assert "https://example.org/renamed" in found[0].message


def test_guid_http_to_https_with_the_same_link_is_caught_in_rss() -> None:
    old = rss([(f"http://example.org/{n}", f"https://example.org/p/{n}", None)
               for n in range(3)])
    new = rss([(f"https://example.org/{n}", f"https://example.org/p/{n}", None)
               for n in range(3)])
    assert got(compare_feeds(old, new)) == [("history.id-changed", "error")] * 3


def test_a_shared_link_is_no_evidence_of_a_renamed_item() -> None:
    old = rss([("a", "https://example.org/", None), ("b", "https://example.org/", None)])
    new = rss([("c", "https://example.org/", None), ("b", "https://example.org/", None)])
    assert "history.id-changed" not in [f.code for f in compare_feeds(old, new)]


def test_published_moving_back_forward_and_past_the_feeds_own_date() -> None:
    def moved(pub: str) -> list[Entry]:
        return [(e[0], e[1], pub) if e is BASE[1] else e for e in BASE]

    assert got(compare_feeds(atom(BASE), atom(moved("2024-01-01T00:00:00Z")))) == [
        ("history.published-moved-back", "warning")]
    assert got(compare_feeds(atom(BASE), atom(moved("2024-03-09T06:00:00Z")))) == [
        ("history.published-moved-forward", "warning")]
    found = compare_feeds(atom(BASE), atom(moved("2024-03-11T00:00:00Z")))
    assert got(found) == [("history.published-in-future", "error")]
    assert "2024-03-10T00:00:00Z" in found[0].message  # the reference, named


def test_the_future_is_the_documents_own_date_never_the_clock() -> None:
    # Dated far beyond any real clock, but before the new version's own updated: only a
    # forward move. Dated after it (and before any real clock): in the future.
    far = [(e[0], e[1], "2999-01-01T00:00:00Z") if e is BASE[0] else e for e in BASE]
    assert got(compare_feeds(atom(BASE), atom(far, updated="2999-06-01T00:00:00Z"))) == [
        ("history.published-moved-forward", "warning")]
    soon = [(e[0], e[1], "2024-03-10T00:00:01Z") if e is BASE[0] else e for e in BASE]
    assert got(compare_feeds(atom(BASE), atom(soon))) == [
        ("history.published-in-future", "error")]


def test_rss_uses_last_build_date_and_json_feed_has_no_own_date() -> None:
    old = rss([("a", "https://example.org/a", "Sat, 09 Mar 2024 00:00:00 GMT")],
              last_build="Sun, 10 Mar 2024 00:00:00 GMT")
    new = rss([("a", "https://example.org/a", "Mon, 11 Mar 2024 00:00:00 GMT")],
              last_build="Sun, 10 Mar 2024 00:00:00 GMT")
    assert got(compare_feeds(old, new)) == [("history.published-in-future", "error")]
    j_old = jsonfeed([("a", "https://example.org/a", "2024-03-09T00:00:00Z")])
    j_new = jsonfeed([("a", "https://example.org/a", "2999-03-11T00:00:00Z")])
    assert got(compare_feeds(j_old, j_new)) == [("history.published-moved-forward", "warning")]


def test_an_item_gone_from_the_middle_needs_a_tombstone() -> None:
    gone = [e for e in BASE if e is not BASE[2]]
    found = compare_feeds(atom(BASE), atom(gone))
    assert got(found) == [("history.item-vanished", "warning")]
    assert BASE[2][0] in found[0].message and found[0].line is None
    tomb = f'<at:deleted-entry ref="{BASE[2][0]}" when="2024-03-10T00:00:00Z"/>\n'
    assert compare_feeds(atom(BASE), atom(gone, extra=tomb)) == []


def test_undated_items_are_judged_by_place_between_kept_items() -> None:
    items: list[tuple[str | None, str, str | None]] = [
        (f"g{n}", f"https://example.org/{n}", None) for n in range(4)]
    middle = [items[0], items[2], items[3]]
    assert got(compare_feeds(rss(items), rss(middle))) == [("history.item-vanished", "warning")]
    assert compare_feeds(rss(items), rss(items[:3])) == []  # fell off the end


def test_items_without_guid_are_keyed_by_link() -> None:
    items: list[tuple[str | None, str, str | None]] = [
        (None, f"https://example.org/{n}", None) for n in range(3)]
    assert compare_feeds(rss(items), rss(items)) == []


def test_feed_id_self_link_and_format_changes() -> None:
    assert got(compare_feeds(atom(BASE), atom(BASE, feed_id="https://example.org/other"))) == [
        ("history.feed-id-changed", "error")]
    assert got(compare_feeds(atom(BASE), atom(BASE, self_url="https://cdn.example/f"))) == [
        ("history.self-changed", "warning")]
    # the same location spelled differently is no change
    assert compare_feeds(atom(BASE), atom(BASE, self_url="HTTPS://Example.org:443/feed.atom")) \
        == []
    as_json = jsonfeed(BASE, feed_url="https://example.org/feed.atom")
    assert got(compare_feeds(atom(BASE), as_json)) == [("history.format-changed", "error")]


@pytest.mark.parametrize("broken", [b"", b"<rss", b"{}", b"<html/>", b"\xff\xfe"])
def test_an_unreadable_version_is_reported_not_raised(broken: bytes) -> None:
    for old, new in ((broken, atom(BASE)), (atom(BASE), broken)):
        assert got(compare_feeds(old, new)) == [("history.not-comparable", "error")]


# --- the command line ---------------------------------------------------------------------

def _files(tmp_path: Path, old: bytes, new: bytes) -> tuple[str, str]:
    (tmp_path / "old.atom").write_bytes(old)
    (tmp_path / "new.atom").write_bytes(new)
    return str(tmp_path / "old.atom"), str(tmp_path / "new.atom")


def test_cli_previous_exit_codes_and_json(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    old, same = _files(tmp_path, atom(BASE), atom(BASE))
    assert main(["check", "--previous", old, same]) == 0
    renamed = [("https://example.org/x", *BASE[0][1:])] + BASE[1:]
    old, new = _files(tmp_path, atom(BASE), atom(renamed))
    capsys.readouterr()
    assert main(["check", "--format", "json", "--previous", old, new]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [e["code"] for e in report["files"][0]["errors"]] == ["history.id-changed"]
    moved_back = [(e[0], e[1], "2020-01-01T00:00:00Z") if e is BASE[0] else e for e in BASE]
    old, new = _files(tmp_path, atom(BASE), atom(moved_back))
    assert main(["check", "--previous", old, new]) == 0  # a warning
    assert main(["check", "--strict", "--previous", old, new]) == 1


def test_cli_previous_junit_names_the_new_file(tmp_path: Path) -> None:
    renamed = [("https://example.org/x", *BASE[0][1:])] + BASE[1:]
    old, new = _files(tmp_path, atom(BASE), atom(renamed))
    out = io.StringIO()
    assert run_check([new], output_format="junit", strict=False, base_url=None, out=out,
                     previous=old) is Verdict.PROBLEMS
    assert "history.id-changed" in out.getvalue() and "new.atom" in out.getvalue()


def test_cli_previous_usage_errors(tmp_path: Path) -> None:
    old, new = _files(tmp_path, atom(BASE), atom(BASE))
    assert main(["check", "--previous", old, new, new]) == 2
    assert main(["check", "--previous", str(tmp_path / "missing.atom"), new]) == 2
    assert main(["check", "--previous", "-", "-"]) == 2


def test_cli_previous_also_checks_the_new_version_as_usual(tmp_path: Path) -> None:
    broken = atom(BASE).replace(b"<title>T</title>", b"")
    old, new = _files(tmp_path, atom(BASE), broken)
    out = io.StringIO()
    assert run_check([new], output_format="json", strict=False, base_url=None, out=out,
                     previous=old) is Verdict.PROBLEMS
    assert "atom.feed.missing-title" in out.getvalue()


@pytest.fixture()
def served_feeds() -> Iterator[str]:
    server = make_server(FEEDS)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_cli_previous_reads_urls_too(served_feeds: str, tmp_path: Path) -> None:
    old = tmp_path / "old.atom"
    old.write_bytes((FEEDS / "all.atom").read_bytes().replace(
        b"<id>https://feeds.example.org/all.atom</id>", b"<id>https://feeds.example.org/</id>"))
    out = io.StringIO()
    assert run_check([served_feeds + "/all.atom"], output_format="json", strict=False,
                     base_url=None, out=out, previous=str(old)) is Verdict.PROBLEMS
    errors = json.loads(out.getvalue())["files"][0]["errors"]
    assert [e["code"] for e in errors] == ["history.feed-id-changed"]
    out = io.StringIO()
    assert run_check([str(FEEDS / "all.atom")], output_format="json", strict=False,
                     base_url=None, out=out, previous=served_feeds + "/all.atom") is Verdict.OK


# --- our own output -----------------------------------------------------------------------

def test_our_feeds_keep_ids_and_dates_across_formats() -> None:
    """The builder gives an item the same id and date in Atom, RSS and JSON Feed, so a
    format switch costs readers nothing beyond the switch itself."""
    atom_, rss_, json_ = (FEEDS / "all.atom").read_bytes(), (FEEDS / "all.rss").read_bytes(), \
        (FEEDS / "all.json").read_bytes()
    for old, new in ((atom_, rss_), (rss_, json_), (json_, atom_)):
        assert {f.code for f in compare_feeds(old, new)} == {"history.format-changed",
                                                             "history.self-changed"}
    assert compare_feeds(atom_, atom_) == []
