"""Keep secrets out of every line promptlib prints or writes.

Keys and tokens are registered the moment they are read, and every error message,
log line and report passes through :func:`redact` on its way out — including the
``--debug`` traceback — so a secret cannot leak through a message we did not foresee.
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
_MIN_SECRET = 6
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str) -> str:
    """Remember ``value`` as secret (short values are ignored: they would mask ordinary text)."""
    if len(value) >= _MIN_SECRET:
        with _lock:
            _secrets.add(value)
    return value


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    if not _secrets:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in the formatted message and keeps it on one line (a URL or error
    text from a pull request cannot start a forged log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from promptlib.core._safe_text import one_line

        message = record.getMessage()
        cleaned = one_line(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
