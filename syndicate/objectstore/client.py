"""The one place boto3 is imported, and its errors turned into one-line RemoteErrors.

boto3 is an optional extra (``pip install 'syndicate[s3]'``): it is imported only when
an ``s3://`` URL is configured, so the plain folder build never needs it.

Endpoint and credentials come the standard way only — ``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` and the usual
config files, as boto3 reads them. Messages built here name the location, the
operation and the service's error code, never a key or a secret.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from syndicate.errors import RemoteError
from syndicate.objectstore.url import S3Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Retries with exponential backoff and jitter (botocore's "standard" mode) for
# throttling, 5xx and connection errors; then the run fails with one line.
MAX_ATTEMPTS = 4
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# Concurrent requests (downloads or uploads), and the HTTP connection pool to match.
MAX_CONCURRENCY = 16

_CREDENTIAL_CODES = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
    "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidSecurity", "Forbidden", "403",
})


def make_client() -> S3Client:
    """An S3 client configured from the environment, with retries. Raises RemoteError
    when the ``s3`` extra is not installed."""
    try:
        import boto3
        import botocore.session
        from botocore.config import Config as BotoConfig
    except ImportError:
        raise RemoteError("s3:// URLs need boto3: install the extra with "
                          "pip install 'syndicate[s3]'") from None
    config = BotoConfig(retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                        connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                        max_pool_connections=MAX_CONCURRENCY)
    with remote_errors(None, "connect"):
        core = botocore.session.get_session()  # a new session: nothing global changes
        # Timestamps stay the text the service sent (see objectstore.source.listed_moment):
        # botocore's parser took three quarters of the client's CPU for a listing.
        core.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=str)
        client: S3Client = boto3.session.Session(botocore_session=core).client(
            "s3", config=config)
    return client


@contextlib.contextmanager
def remote_errors(where: S3Location | None, doing: str) -> Iterator[None]:
    """Turn botocore's exceptions into one RemoteError line."""
    try:
        yield
    except RemoteError:
        raise
    except Exception as exc:
        problem = describe(exc)
        if problem is None:
            raise
        place = f"{where}: " if where is not None else ""
        raise RemoteError(f"{place}cannot {doing}: {problem}") from None


def error_code(exc: BaseException) -> str | None:
    """The service's error code of a ClientError (``NoSuchKey``, ``404``...), or None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def describe(exc: BaseException) -> str | None:
    """One line for a botocore/boto3 exception, or None for anything else.

    Built from the exception's class and the service's error code only: botocore's
    own messages may quote request parameters."""
    try:
        from botocore import exceptions as bx
    except ImportError:
        return None
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return ("no usable credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or AWS_PROFILE")
    if isinstance(exc, bx.ProfileNotFound):
        return "the AWS profile named by AWS_PROFILE does not exist"
    if isinstance(exc, bx.ClientError):
        code = error_code(exc) or "unknown"
        if code in _CREDENTIAL_CODES:
            return (f"access refused ({code}): check the credentials "
                    "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and "
                    "the bucket's permissions")
        if code == "NoSuchBucket":
            return "the bucket does not exist (NoSuchBucket)"
        return f"the service answered {code}"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError
                  | bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return (f"endpoint unreachable after {MAX_ATTEMPTS} attempts "
                f"({type(exc).__name__}); check AWS_ENDPOINT_URL and the network")
    if isinstance(exc, bx.HTTPClientError):
        return f"connection failed after {MAX_ATTEMPTS} attempts ({type(exc).__name__})"
    if isinstance(exc, bx.NoRegionError):
        return "no region configured: set AWS_DEFAULT_REGION or AWS_REGION"
    if isinstance(exc, bx.BotoCoreError):
        return type(exc).__name__
    return None
