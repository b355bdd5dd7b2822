"""The feed checker: Atom 1.0, RSS 2.0, JSON Feed 1.1 and OPML 2.0, judged from content.

Depends on nothing in the builder (only the standard library and lxml), so it can judge
any feed. Library use: ``check_bytes(data, path=..., base_url=...) -> CheckResult``.
"""

from syndicate.check.core import MAX_BYTES, check_bytes
from syndicate.check.findings import CODES, CheckResult, Finding
from syndicate.check.run import Verdict, run_check

__all__ = ["CODES", "MAX_BYTES", "CheckResult", "Finding", "Verdict", "check_bytes", "run_check"]
