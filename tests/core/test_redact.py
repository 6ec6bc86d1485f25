"""Secrets never reach a printed line: registered keys and tokens are masked in messages and logs."""

from __future__ import annotations

import io
import logging
import uuid

from promptlib.core._redact import MASK, RedactingFilter, redact, register_secret


def _secret(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex}"


def test_a_registered_secret_is_masked_everywhere_in_a_text() -> None:
    key = register_secret(_secret("key"))

    assert redact(f"api-key: {key}; again {key}.") == f"api-key: {MASK}; again {MASK}."


def test_register_returns_the_value_so_it_can_be_used_inline() -> None:
    key = _secret("inline")

    assert register_secret(key) == key


def test_the_longest_secret_is_masked_first() -> None:
    short = _secret("tok")
    register_secret(short)
    register_secret(short + "-extended")

    assert redact(f"Bearer {short}-extended") == f"Bearer {MASK}"


def test_short_values_are_not_treated_as_secrets() -> None:
    """A one- or two-character 'key' would mask ordinary text all over every message."""
    register_secret("ab")

    assert redact("about a cab") == "about a cab"


def test_text_without_secrets_is_unchanged() -> None:
    register_secret(_secret("other"))

    assert redact("HTTP 429 rate limited (deployment 'dev')") == "HTTP 429 rate limited (deployment 'dev')"


def test_log_lines_are_masked_including_their_arguments() -> None:
    key = register_secret(_secret("logged"))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"promptlib.test-redact-{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    logger.info("sending with key %s to %s", key, "dev")
    logger.info("plain %d", 3)

    assert stream.getvalue() == f"sending with key {MASK} to dev\nplain 3\n"
