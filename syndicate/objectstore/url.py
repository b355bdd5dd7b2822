"""``s3://BUCKET/PREFIX`` URLs: parsed and checked without importing boto3."""

from __future__ import annotations

import re
from typing import NamedTuple

# S3's own rules for new buckets (3-63 characters: lowercase letters, digits, dots and
# hyphens, starting and ending with a letter or digit).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class S3Location(NamedTuple):
    """Where objects live: keys are ``prefix + rel`` (``prefix`` is empty or ends with
    "/")."""

    bucket: str
    prefix: str

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_s3_url(text: str) -> S3Location:
    """The location named by ``text``; ValueError with a reason (for the caller to name
    its config key) when it is not a plain ``s3://bucket/prefix``.

    Credentials in the URL (``s3://KEY:SECRET@bucket``), queries and fragments are
    refused: the URL is written in config.toml and shown in messages."""
    if not text.startswith("s3://"):
        raise ValueError("must start with s3:// (s3://BUCKET/PREFIX)")
    rest = text[len("s3://"):]
    if any(c in rest for c in "?#@\\") or any(c.isspace() or ord(c) < 0x20 for c in rest):
        raise ValueError("must be a plain s3://BUCKET/PREFIX: no user:password@, query, "
                         "fragment, backslash or whitespace (credentials come from the "
                         "environment or AWS_PROFILE, never from config.toml)")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"bucket name {bucket!r} is not a valid S3 bucket name")
    prefix = prefix.strip("/")
    if prefix:
        if any(part in ("", ".", "..") for part in prefix.split("/")):
            raise ValueError("prefix must not contain empty, '.' or '..' segments")
        prefix += "/"
    return S3Location(bucket, prefix)
