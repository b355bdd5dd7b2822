"""The pure rules of object storage, without a server or boto3: URLs, credential keys,
content types, upload order, the change key."""

from __future__ import annotations

import pytest

from syndicate.objectstore.url import S3Location, credential_key, parse_s3_url


def test_s3_urls_are_parsed_to_bucket_and_folder_prefix() -> None:
    assert parse_s3_url("s3://my-bucket") == S3Location("my-bucket", "")
    assert parse_s3_url("s3://my-bucket/") == S3Location("my-bucket", "")
    assert parse_s3_url("s3://my-bucket/a/b") == S3Location("my-bucket", "a/b/")
    assert parse_s3_url("s3://my-bucket/a/b/").key("all.atom") == "a/b/all.atom"
    assert str(parse_s3_url("s3://my.bucket-1/x")) == "s3://my.bucket-1/x/"


@pytest.mark.parametrize("bad", [
    "my-bucket/x", "https://my-bucket/x", "s3://", "s3://ab", "s3://Upper/x",
    "s3://under_score", "s3://-dash", "s3://a..b/x", "s3://k:s@my-bucket/x",
    "s3://my-bucket/x?versionId=1", "s3://my-bucket/x#f", "s3://my-bucket/a//b",
    "s3://my-bucket/a/../b", "s3://my-bucket/a b", "s3://my-bucket/a\\b",
])
def test_bad_s3_urls_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_s3_url(bad)


def test_credential_like_keys_are_found_anywhere() -> None:
    assert credential_key({"site": {"title": "x"}, "source": {"folder": "a"}}) is None
    assert credential_key({"output": {"aws_secret_access_key": "x"}}) == \
        "output.aws_secret_access_key"
    assert credential_key({"s3": {"nested": {"session_token": "x"}}}) == "s3.nested.session_token"
    assert credential_key({"AccessKey": "x"}) == "AccessKey"
    assert credential_key({"password": "x"}) == "password"


def test_upload_order_and_headers() -> None:
    pytest.importorskip("boto3", reason="boto3 (the 's3' extra) is not installed")
    from syndicate.objectstore.publish import cache_control, content_type, phase

    assert [phase(r) for r in ("page.css", "items/x.html", "archive/all/3.atom",
                               "archive/topics/a/1.json", "all.atom", "topics/a.rss",
                               "providers/p.json", "feeds.opml", "index.html")] == \
        [0, 0, 0, 0, 1, 1, 1, 2, 2]
    assert content_type("topics/a.rss") == "application/rss+xml; charset=utf-8"
    assert content_type("all.json") == "application/feed+json; charset=utf-8"
    assert content_type("feeds.opml") == "text/x-opml; charset=utf-8"
    assert content_type("x.bin") == "application/octet-stream"
    assert cache_control(60) == "public, max-age=3600"


def test_object_change_key_moves_with_etag_or_last_modified() -> None:
    pytest.importorskip("boto3", reason="boto3 (the 's3' extra) is not installed")
    from syndicate.objectstore.source import change_key

    base = change_key('"abc"', "2026-12-06T10:00:00+00:00")
    assert base == change_key('"abc"', "2026-12-06T10:00:00+00:00")
    assert base != change_key('"abd"', "2026-12-06T10:00:00+00:00")
    assert base != change_key('"abc"', "2026-12-06T10:00:01+00:00")
    assert 0 <= base < 2**56


@pytest.mark.parametrize("text", ["2026-12-06T09:40:00.000Z", "2026-12-06T09:40:00.123Z",
                                  "2026-12-06T09:40:00Z", "2026-12-06T09:40:00.123456789Z",
                                  "Sun, 06 Dec 2026 09:40:00 GMT", "1796550000"])
def test_listed_moment_is_what_botocore_parsing_gave(text: str) -> None:
    # The change key of every indexed object was made from botocore's datetime: the
    # listing's text, left unparsed, must give the same string, or an upgrade would
    # download every object again.
    pytest.importorskip("boto3", reason="boto3 (the 's3' extra) is not installed")
    from botocore.utils import parse_timestamp

    from syndicate.objectstore.source import listed_moment

    parsed = parse_timestamp(text)
    assert listed_moment(text) == parsed.isoformat()
    assert listed_moment(parsed) == parsed.isoformat()
