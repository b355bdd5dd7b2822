"""Object storage in and out (source.url / output.url) against a REAL S3-compatible
server: SeaweedFS on 127.0.0.1 (see tests/seaweedfs.py). Skipped, with the reason,
only where the server cannot start or boto3 is not installed.

Every bucket build is compared byte for byte with a folder build of the same
articles, config and --now: the bucket must hold exactly what a folder would."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate.cli import main
from tests import seaweedfs

boto3 = pytest.importorskip("boto3", reason="boto3 (the 's3' extra) is not installed")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "articles"
NOW = "2026-12-06T10:00:00Z"


@pytest.fixture(scope="session")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[seaweedfs.SeaweedFS]:
    try:
        server = seaweedfs.start(tmp_path_factory.mktemp("seaweedfs"))
    except RuntimeError as exc:
        pytest.skip(f"SeaweedFS cannot start here: {str(exc)[:300]}")
    yield server
    server.stop()


_serial = iter(range(10_000))
SRC, OUT = "syndicate-articles", "syndicate-feeds"


@pytest.fixture
def buckets(weed: seaweedfs.SeaweedFS, monkeypatch: pytest.MonkeyPatch
            ) -> tuple[str, str, Any]:
    """A fresh source and output location (``bucket/prefix/``; two buckets shared by
    the tests, as each bucket costs SeaweedFS volumes); the environment points boto3
    at SeaweedFS the standard way."""
    n = next(_serial)
    client = seaweedfs.make_client(weed)
    for bucket in (SRC, OUT):
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except client.exceptions.BucketAlreadyExists:
            pass
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in weed.env().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return f"{SRC}/t{os.getpid()}-{n}/", f"{OUT}/t{os.getpid()}-{n}/", client


def _split(place: str) -> tuple[str, str]:
    bucket, _, prefix = place.partition("/")
    return bucket, prefix


PUT_ORDER: list[str] = []  # keys of PutObject calls, in the order they were made


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """S3 operations made by the build (in this process), counted with a botocore
    event hook on every client boto3 makes."""
    seen: Counter[str] = Counter()
    original = boto3.session.Session.client

    def client(self: Any, *args: Any, **kwargs: Any) -> Any:
        made = original(self, *args, **kwargs)
        made.meta.events.register("before-call.s3.*",
                                  lambda model, **_: seen.update([model.name]))
        made.meta.events.register("before-parameter-build.s3.PutObject",
                                  lambda params, **_: PUT_ORDER.append(params["Key"]))
        return made

    PUT_ORDER.clear()

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return seen


def _config(tmp: Path, *, source: str, output: str, name: str = "config.toml") -> Path:
    # withdrawn_days = 0: RFC 6721 tombstones come from the build history, and these
    # tests compare with folder builds made from an empty state (tests/test_withdrawn.py
    # covers tombstones).
    cfg = tmp / name
    cfg.write_text(textwrap.dedent(f"""\
        [site]
        title = "Bucket News"
        base_url = "https://feeds.example.org/"
        [source]
        {source}
        [selection]
        min_quality = 0
        [feeds]
        ttl = 30
        [output]
        {output}
        withdrawn_days = 0
        [state]
        folder = "state-{name}"
        """))
    return cfg


def _upload_articles(client: Any, place: str, folder: Path) -> None:
    bucket, prefix = _split(place)
    for f in sorted(folder.glob("*.md")):
        client.put_object(Bucket=bucket, Key=f"{prefix}{f.name}", Body=f.read_bytes())


def _put(client: Any, place: str, rel: str, body: bytes) -> None:
    bucket, prefix = _split(place)
    client.put_object(Bucket=bucket, Key=prefix + rel, Body=body)


def _delete(client: Any, place: str, rel: str) -> None:
    bucket, prefix = _split(place)
    client.delete_object(Bucket=bucket, Key=prefix + rel)


def _head(client: Any, place: str, rel: str) -> Any:
    bucket, prefix = _split(place)
    return client.head_object(Bucket=bucket, Key=prefix + rel)


def _bucket(client: Any, place: str) -> dict[str, bytes]:
    bucket, prefix = _split(place)
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"][len(prefix):]] = client.get_object(
                Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found


def _folder(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _folder_build(tmp: Path, articles: Path, *extra: str) -> dict[str, bytes]:
    """The same build into a plain folder, for comparison."""
    out = tmp / "reference"
    shutil.rmtree(out, ignore_errors=True)
    cfg = _config(tmp, source=f'folder = "{articles}"', output=f'folder = "{out}"',
                  name="reference.toml")
    assert main(["build", "--config", str(cfg), "--now", NOW, "-q", *extra]) == 0
    return _folder(out)


def _build(cfg: Path, *extra: str) -> int:
    return main(["build", "--config", str(cfg), "--now", NOW, "-q", *extra])


@pytest.fixture
def local_articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    return folder


def test_cold_build_from_and_to_buckets_equals_a_folder_build(
        tmp_path: Path, buckets: tuple[str, str, Any], local_articles: Path,
        calls: Counter[str]) -> None:
    src, out, client = buckets
    _upload_articles(client, src + "news/", local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}news"',
                  output=f'url = "s3://{out}site/"')
    assert _build(cfg) == 0
    assert calls["GetObject"] == len(list(local_articles.glob("*.md")))
    published = _bucket(client, out + "site/")
    expected = _folder_build(tmp_path, local_articles)
    assert published == expected
    assert calls["PutObject"] == len(expected)
    # Feeds before the lists that link to them: feeds.opml and index.html come last.
    rels = [key.removeprefix(_split(out)[1] + "site/") for key in PUT_ORDER]
    assert sorted(rels) == sorted(expected)
    assert set(rels[-2:]) == {"feeds.opml", "index.html"}
    head = _head(client, out, "site/all.atom")
    assert head["ContentType"] == "application/atom+xml; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=1800"
    assert _head(client, out, "site/index.html")["ContentType"] == "text/html; charset=utf-8"
    assert _head(client, out, "site/all.json")["ContentType"] == \
        "application/feed+json; charset=utf-8"


def test_no_change_run_lists_the_source_once_and_transfers_nothing(
        tmp_path: Path, buckets: tuple[str, str, Any], local_articles: Path,
        calls: Counter[str]) -> None:
    src, out, client = buckets
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}"')
    assert _build(cfg) == 0
    calls.clear()
    assert _build(cfg) == 0
    assert dict(calls) == {"ListObjectsV2": 1}
    # A lost manifest: the bucket is checked (one listing of the output prefix), and
    # objects already there with the same bytes are not uploaded again.
    (tmp_path / "state-config.toml" / "s3-output-manifest.json").unlink()
    calls.clear()
    assert _build(cfg) == 0
    assert dict(calls) == {"ListObjectsV2": 2}
    calls.clear()
    assert _build(cfg) == 0
    assert dict(calls) == {"ListObjectsV2": 1}


def test_one_changed_object_is_downloaded_alone_and_only_changed_feeds_uploaded(
        tmp_path: Path, buckets: tuple[str, str, Any], local_articles: Path,
        calls: Counter[str]) -> None:
    src, out, client = buckets
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}"')
    assert _build(cfg) == 0
    before = _bucket(client, out)
    victim = min(local_articles.glob("*.md"))
    text = victim.read_text(encoding="utf-8")
    assert '\ntitle: "' in text
    victim.write_text(text.replace('\ntitle: "', '\ntitle: "Changed headline, ', 1),
                      encoding="utf-8")
    _put(client, src, victim.name, victim.read_bytes())
    calls.clear()
    assert _build(cfg) == 0
    assert calls["GetObject"] == 1
    after = _bucket(client, out)
    assert after == _folder_build(tmp_path, local_articles)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed and "all.atom" in changed
    assert calls["PutObject"] == len(changed)
    assert b"Changed headline" in after["all.atom"]


# -- the publish guard with a bucket source -------------------------------------------------
# A folder source is judged before the lock; a bucket source on the listing the build
# makes under it (one listing per run). Either way a refusal publishes and records nothing.

def _refusal(caplog: pytest.LogCaptureFixture) -> str:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "nothing published" in errors[0] and "--allow-shrink" in errors[0]
    return errors[0]


def test_an_empty_bucket_source_publishes_nothing_and_names_the_location(
        tmp_path: Path, buckets: tuple[str, str, Any], calls: Counter[str],
        caplog: pytest.LogCaptureFixture) -> None:
    src, out, client = buckets
    cfg = _config(tmp_path, source=f'url = "s3://{src}none"', output=f'url = "s3://{out}"')
    assert _build(cfg) == 1
    assert f"no article file in s3://{src}none/ " in _refusal(caplog)
    assert calls["PutObject"] == 0 and calls["GetObject"] == 0
    assert _bucket(client, out) == {}
    assert _build(cfg, "--allow-shrink") == 0
    assert "all.atom" in _bucket(client, out)


def test_a_bucket_source_emptied_or_shrunk_after_a_good_build_publishes_nothing(
        tmp_path: Path, buckets: tuple[str, str, Any], local_articles: Path,
        calls: Counter[str], caplog: pytest.LogCaptureFixture) -> None:
    src, out, client = buckets
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}"')
    assert _build(cfg) == 0
    published = _bucket(client, out)
    names = sorted(f.name for f in local_articles.glob("*.md"))
    for name in names[:-3]:  # far more than safety.max_shrink's default half
        _delete(client, src, name)
    calls.clear()
    assert _build(cfg) == 1
    assert "safety.max_shrink" in _refusal(caplog)
    for name in names[-3:]:
        _delete(client, src, name)
    caplog.clear()
    assert _build(cfg) == 1
    assert f"no article file in s3://{src} " in _refusal(caplog)
    assert calls["PutObject"] == 0 and calls["DeleteObject"] == 0
    assert _bucket(client, out) == published
    # Nothing was recorded by the refused runs: the articles back, the same feeds.
    _upload_articles(client, src, local_articles)
    calls.clear()
    assert _build(cfg) == 0
    assert calls["PutObject"] == 0
    assert _bucket(client, out) == published


def test_deleted_object_leaves_the_feeds_and_stale_feeds_are_pruned_not_foreign_ones(
        tmp_path: Path, buckets: tuple[str, str, Any], local_articles: Path,
        calls: Counter[str]) -> None:
    src, out, client = buckets
    # Objects under the output prefix that this tool did not write.
    foreign = {"topics/hand-made.atom": b"<feed/>", "notes.txt": b"keep me",
               "providers/old.json": b"{}"}
    for key, body in foreign.items():
        _put(client, out, f"pub/{key}", body)
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}pub"')
    report = tmp_path / "report.json"
    assert _build(cfg, "--prune", "--report", str(report)) == 0
    assert json.loads(report.read_bytes())["foreign"] == sorted(foreign)
    first = _bucket(client, out + "pub/")
    # Delete every article of one provider: its feeds go stale.
    provider_feeds = sorted(k for k in first if k.startswith("providers/")
                            and k.endswith(".atom") and k not in foreign)
    target = provider_feeds[0]
    slug = target.removeprefix("providers/").removesuffix(".atom")
    gone = [f for f in sorted(local_articles.glob("*.md"))
            if slug.split("-")[0] in f.read_text(encoding="utf-8").lower()
            and _provider_slug_matches(f, first[target])]
    assert gone, "a provider feed must list at least one article"
    for f in gone:
        _delete(client, src, f.name)
        f.unlink()
    calls.clear()
    assert _build(cfg, "--prune", "--report", str(report)) == 0
    assert calls["GetObject"] == 0  # a deletion needs no download
    # Still reported, from the last listing (this run listed nothing of the output).
    assert calls["ListObjectsV2"] == 1
    assert json.loads(report.read_bytes())["foreign"] == sorted(foreign)
    after = _bucket(client, out + "pub/")
    expected = _folder_build(tmp_path, local_articles, "--prune")
    for key, body in foreign.items():
        assert after[key] == body  # never deleted, never overwritten
    assert {k: v for k, v in after.items() if k not in foreign} == expected
    assert target not in after


def _provider_slug_matches(article: Path, feed: bytes) -> bool:
    """The article is an item of the provider feed (its link appears in it)."""
    for line in article.read_text(encoding="utf-8").splitlines():
        if line.startswith("webUrl:"):
            link = line.split(":", 1)[1].strip().strip('"')
            return link.encode().replace(b"&", b"&amp;") in feed
    return False


def test_bad_credentials_fail_with_one_line_and_exit_2(
        tmp_path: Path, weed: seaweedfs.SeaweedFS, buckets: tuple[str, str, Any],
        local_articles: Path) -> None:
    src, out, client = buckets
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}"')
    wrong = "WRONG-secret-value-123456"
    done = _cli(cfg, weed.env(AWS_SECRET_ACCESS_KEY=wrong))
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "access refused" in lines[0] and f"s3://{src}" in lines[0]
    assert wrong not in done.stderr and seaweedfs.ACCESS_KEY not in done.stderr
    assert _bucket(client, out) == {}


def _cli(cfg: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "build", "--config", str(cfg), "--now", NOW,
         "-q"], env=dict(env, PYTHONPATH=str(REPO)), capture_output=True, text=True, check=False,
        timeout=300, cwd=cfg.parent)


def test_config_refuses_url_with_folder_credentials_and_bad_urls(tmp_path: Path) -> None:
    from syndicate.config import load_config
    from syndicate.errors import ConfigError

    cases = {
        ('url = "s3://bucket-a/x"\nfolder = "articles"', 'folder = "out"'): "source.url",
        ('folder = "articles"', 'url = "s3://bucket-b"\nfolder = "out"'): "output.url",
        ('url = "s3://AKIAEXAMPLE:s3cr3tvalue@bucket-a/x"', 'folder = "out"'): "source.url",
        ('url = "http://bucket-a/x"', 'folder = "out"'): "source.url",
        ('url = "s3://Bad_Bucket/x"', 'folder = "out"'): "source.url",
        ('url = "s3://bucket-a/x/../y"', 'folder = "out"'): "source.url",
        ('folder = "articles"', 'url = "s3://bucket-b"\naws_secret_access_key = "s3cr3tvalue"'):
            "output.aws_secret_access_key",
        ('url = "s3://bucket-a"', 'url = "s3://bucket-a/feeds"'): "output.url",
    }
    for (source, output), key in cases.items():
        cfg = _config(tmp_path, source=source, output=output)
        with pytest.raises(ConfigError) as caught:
            load_config(cfg)
        assert str(caught.value).startswith(f"{key}:"), (source, output, caught.value)
        assert "s3cr3tvalue" not in str(caught.value)


def test_missing_boto3_is_one_line_and_exit_2(tmp_path: Path) -> None:
    cfg = _config(tmp_path, source='url = "s3://bucket-a"', output='folder = "out"')
    # boto3 made unimportable in a child interpreter: what a Quick start install sees.
    code = ("import sys; sys.modules['boto3'] = None; from syndicate.cli import main; "
            f"sys.exit(main(['build', '--config', {str(cfg)!r}, '-q']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "syndicate[s3]" in lines[0], done.stderr


# --- a killed publish, a server that goes away ---------------------------------------

_KILLER = """
import os, signal, sys
import boto3
original = boto3.session.Session.client
count = {"n": 0}
def hook(**_):
    count["n"] += 1
    if count["n"] == int(os.environ["KILL_AFTER_PUTS"]):
        victim = os.environ["KILL_PID"]
        os.kill(os.getpid() if victim == "self" else int(victim), signal.SIGKILL)
def client(self, *a, **k):
    made = original(self, *a, **k)
    made.meta.events.register("before-call.s3.PutObject", hook)
    return made
boto3.session.Session.client = client
from syndicate.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run_killer(cfg: Path, env: dict[str, str], victim: str, after: int
                ) -> subprocess.CompletedProcess[str]:
    """``syndicate build`` in a child that SIGKILLs ``victim`` ("self" or a PID) when
    its ``after``-th upload starts."""
    env = dict(env, KILL_PID=victim, KILL_AFTER_PUTS=str(after), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", _KILLER, "build", "--config", str(cfg), "--now", NOW, "-q"],
        env=env, capture_output=True, text=True, timeout=300, cwd=cfg.parent, check=False)


def _many_topics(folder: Path, count: int) -> None:
    """Articles in many topics, so a publish has many objects to upload."""
    template = min(SAMPLES.glob("*.md")).read_text(encoding="utf-8")
    for i in range(count):
        text = template.replace("  - Machine Learning", f"  - Topic number {i}", 1)
        text = text.replace('webUrl: "https://', f'webUrl: "https://n{i}.', 1)
        (folder / f"extra-{i:03d}.md").write_text(text, encoding="utf-8")


def _rename_site(cfg: Path) -> None:
    cfg.write_text(cfg.read_text().replace('"Bucket News"', '"Bucket News, renamed"'))


def test_killed_publish_leaves_objects_old_or_new_and_the_next_run_finishes(
        tmp_path: Path, weed: seaweedfs.SeaweedFS, buckets: tuple[str, str, Any],
        local_articles: Path) -> None:
    src, out, client = buckets
    _many_topics(local_articles, 40)
    _upload_articles(client, src, local_articles)
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'url = "s3://{out}"')
    assert _build(cfg) == 0
    old = _bucket(client, out)
    _rename_site(cfg)  # every feed changes
    done = _run_killer(cfg, weed.env(), "self", 10)
    assert done.returncode == -signal.SIGKILL, done.stderr
    new = _reference_renamed(tmp_path, local_articles)
    mid = _bucket(client, out)
    assert set(mid) == set(old)
    assert all(mid[k] in (old[k], new[k]) for k in mid)  # never half an object
    assert any(mid[k] != new[k] for k in mid)  # the kill came before the end
    assert _build(cfg) == 0  # the repairing run
    assert _bucket(client, out) == new


def _reference_renamed(tmp: Path, articles: Path) -> dict[str, bytes]:
    """A folder build of ``articles`` with the renamed site."""
    out = tmp / "reference"
    shutil.rmtree(out, ignore_errors=True)
    ref = _config(tmp, source=f'folder = "{articles}"', output=f'folder = "{out}"',
                  name="reference.toml")
    _rename_site(ref)
    assert main(["build", "--config", str(ref), "--now", NOW, "-q"]) == 0
    return _folder(out)


def test_server_going_away_mid_publish_fails_with_one_line_and_loses_nothing(
        tmp_path: Path, local_articles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server of its own, SIGKILLed during the upload, then restarted on its data."""
    home = tmp_path / "weed"
    home.mkdir()
    try:
        server = seaweedfs.start(home)
    except RuntimeError as exc:
        pytest.skip(f"SeaweedFS cannot start here: {str(exc)[:300]}")
    try:
        client = seaweedfs.make_client(server)
        client.create_bucket(Bucket="away-src")
        client.create_bucket(Bucket="away-out")
        _many_topics(local_articles, 30)
        _upload_articles(client, "away-src/", local_articles)
        cfg = _config(tmp_path, source='url = "s3://away-src"', output='url = "s3://away-out"')
        first = _cli(cfg, server.env())
        assert first.returncode == 0, first.stderr
        _rename_site(cfg)
        done = _run_killer(cfg, server.env(), str(server.process.pid), 5)
        server.process.wait(timeout=30)
    finally:
        server.stop()
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("syndicate: s3://away-out/: cannot upload ")
    assert "Traceback" not in done.stderr
    manifest = json.loads((tmp_path / "state-config.toml" / "s3-output-manifest.json")
                          .read_bytes())
    assert manifest["target"] == "s3://away-out/"
    # Back on the same data: the next run finishes the job.
    server = seaweedfs.start(home, again=server)
    try:
        client = seaweedfs.make_client(server)
        again = _cli(cfg, server.env())
        assert again.returncode == 0, again.stderr
        assert _bucket(client, "away-out/") == _reference_renamed(tmp_path, local_articles)
    finally:
        server.stop()


def test_watch_polls_a_bucket_source_and_stops_cleanly(
        tmp_path: Path, weed: seaweedfs.SeaweedFS, buckets: tuple[str, str, Any],
        local_articles: Path) -> None:
    src, _, client = buckets
    _upload_articles(client, src, local_articles)
    out = tmp_path / "watched-out"
    cfg = _config(tmp_path, source=f'url = "s3://{src}"', output=f'folder = "{out}"')
    log = tmp_path / "watch.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "watch", "--config", str(cfg), "--now", NOW,
             "--poll", "0.5", "--debounce", "0.1"], stderr=err, stdout=subprocess.DEVNULL,
            env=dict(weed.env(), PYTHONPATH=str(REPO)), cwd=tmp_path)
    try:
        victim = min(local_articles.glob("*.md"))
        _eventually(lambda: (out / "all.atom").is_file(), "the first build")
        text = victim.read_text(encoding="utf-8")
        victim.write_text(text.replace('\ntitle: "', '\ntitle: "Polled change, ', 1),
                          encoding="utf-8")
        _put(client, src, victim.name, victim.read_bytes())
        expected = _folder_build(tmp_path, local_articles)
        _eventually(lambda: _folder(out) == expected, "the bucket change reflected")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text()


def _eventually(check: Any, what: str, patience: float = 120.0) -> None:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {patience:.0f} s: {what}")
