"""The fixtures are there in every run, without --promptlib, and can be overridden like any fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_library_fixture_without_the_option(pytester: pytest.Pytester, eval_project: Path) -> None:
    """``promptlib_library`` is the project found upward from rootdir; a plain run provides it."""
    pytester.makepyfile(
        test_user_app="""
        def test_render(promptlib_library):
            assert promptlib_library.ids() == ["badge"]
            assert "a red crane" in promptlib_library.render("badge", subject="a red crane").prompt
    """
    )

    pytester.runpytest().assert_outcomes(passed=2)


def test_emulator_config_can_be_overridden(pytester: pytest.Pytester) -> None:
    """A conftest overriding ``promptlib_emulator_config`` changes how the served emulator behaves."""
    pytester.makeconftest("""
        import pytest
        from promptlib.emulator import EmulatorConfig

        @pytest.fixture
        def promptlib_emulator_config():
            return EmulatorConfig(block=("forbidden",))
    """)
    pytester.makepyfile(
        test_user_app="""
        import httpx

        def test_blocked(promptlib_emulator):
            assert promptlib_emulator.api_key is None
            response = httpx.post(
                promptlib_emulator.base_url + "/openai/v1/images/generations",
                json={"model": "gpt-image-1.5", "prompt": "a forbidden sign"},
            )
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "moderation_blocked"
            assert [r.status for r in promptlib_emulator.requests] == [400]
    """
    )

    pytester.runpytest().assert_outcomes(passed=1)
