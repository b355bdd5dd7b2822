"""``s3://BUCKET/PREFIX`` URLs: parsed and checked without importing boto3."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from syndicate.errors import ConfigError

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


# Key names that would hold a secret: refused anywhere in config.toml, so a credential
# is never committed with it (nor echoed back by an "unknown key" message).
_CREDENTIAL_KEY = re.compile(
    r"secret|passw|token|credential|access_?key|session_?key|private_?key|^aws_",
    re.IGNORECASE)


def credential_key(data: Mapping[str, Any], prefix: str = "") -> str | None:
    """The dotted name of the first key of ``data`` (tables searched too) whose name
    looks like it holds a credential, or None."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if _CREDENTIAL_KEY.search(str(key)):
            return dotted
        if isinstance(value, Mapping):
            found = credential_key(value, f"{dotted}.")
            if found is not None:
                return found
    return None


def check_remote_layout(source_url: str | None, output_url: str | None, *, state: Path,
                        output: Path) -> None:
    """:func:`syndicate.config.check_folders` when a bucket is the source or the output
    (``state`` and ``output`` resolved): only what is left local can collide, since a
    bucket is never a local folder, and the two locations must stay apart."""
    if output_url is None:
        if state == output or state.is_relative_to(output):
            raise ConfigError(f"state.folder: {state} must not be the output folder or "
                              "inside it (the index and lock would be published)")
        if output.is_relative_to(state):
            raise ConfigError(f"output.folder: {output} must not be inside the state "
                              f"folder {state}")
    if source_url is not None and output_url is not None and (
            source_url.startswith(output_url) or output_url.startswith(source_url)):
        raise ConfigError(f"output.url: {output_url} must not be, contain or be inside the "
                          f"source location {source_url} (articles would be published, or "
                          "feeds read back as articles)")
