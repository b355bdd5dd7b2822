"""Object storage (S3 and compatibles) as a source of articles and as the output.

- :mod:`.url`: ``s3://bucket/prefix`` parsed and checked (pure; no boto3);
- :mod:`.client`: the one place boto3 is imported (lazily: only when a URL is
  configured), with retries, and the one translation of its errors into
  :class:`syndicate.errors.RemoteError` lines that name no credential;
- :mod:`.source`: the bucket as a :class:`syndicate.source.SourceStore` — listing is
  the walk, ETag + size + last-modified is the stat, a GET is the read;
- :mod:`.publish`: the rendered output (a staging folder in the state folder) synced
  to the bucket, uploading only what changed per the manifest.
"""
