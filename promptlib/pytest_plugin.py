"""The pytest plugin: eval suites as test items (``pytest --promptlib``) and fixtures for users' tests.

Without ``--promptlib`` it only adds its options and the ``promptlib_*`` fixtures, and imports nothing
heavy until a fixture is used. With it, every case of ``evals/*.yaml`` is one item
(``evals/brand.yaml::logo-crane-symbol``); the cases of a process's items run together through the same
library call as ``promptlib eval``, on the first item, and each item passes or fails from its case's result.
Under pytest-xdist each worker runs only the cases it was given, into its own run directory.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from promptlib._pytest_items import PROPERTY, CaseItem, SuiteCollector, pending_items, summary_line, worker_input

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.emulator import EmulatorConfig
    from promptlib.evals._cases import EvalCase, SuiteCases
    from promptlib.evals._results import CaseResult
    from promptlib.evals._runner import EvalOptions
    from promptlib.testing import ServedEmulator

_EVAL_ONLY = {
    "promptlib_deployment": "--promptlib-deployment",
    "promptlib_suites": "--promptlib-suite",
    "promptlib_samples": "--promptlib-samples",
    "promptlib_no_cache": "--promptlib-no-cache",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_addoption"""
    group = parser.getgroup("promptlib", "promptlib eval suites")
    group.addoption(
        "--promptlib",
        action="store_true",
        default=False,
        dest="promptlib",
        help="Collect the project's eval suites as test items, one per case.",
    )
    group.addoption(
        "--promptlib-deployment",
        metavar="NAME",
        dest="promptlib_deployment",
        help="Deployment for every case (default: the suite's, then the project's).",
    )
    group.addoption(
        "--promptlib-suite",
        metavar="SUITE[/CASE]",
        action="append",
        default=[],
        dest="promptlib_suites",
        help="Only this suite or case (repeatable).",
    )
    group.addoption(
        "--promptlib-samples",
        metavar="K",
        type=_samples,
        dest="promptlib_samples",
        help="K: samples per case (overrides the suites).",
    )
    group.addoption(
        "--promptlib-no-cache",
        action="store_true",
        default=False,
        dest="promptlib_no_cache",
        help="Neither read nor write the result cache.",
    )
    group.addoption(
        "--promptlib-project",
        metavar="DIR",
        dest="promptlib_project",
        help="Project directory (default: promptlib.yaml searched upward from rootdir, then cwd).",
    )


def _samples(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of samples from 1 to 10")
    return value


def pytest_configure(config: pytest.Config) -> None:
    """https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_configure"""
    if not config.getoption("promptlib"):
        given = [flag for dest, flag in _EVAL_ONLY.items() if config.getoption(dest)]
        if given:
            raise pytest.UsageError(f"{given[0]} needs --promptlib")
        return
    config.pluginmanager.register(EvalSession.start(config), "promptlib-evals")


def project_library(config: pytest.Config) -> Library:
    """The project's Library: --promptlib-project, else promptlib.yaml upward from rootdir, then cwd."""
    from promptlib._library import Library
    from promptlib.exceptions import ProjectNotFound

    explicit = config.getoption("promptlib_project")
    if explicit:
        return Library.load(config.invocation_params.dir / explicit)
    try:
        return Library.load(config.rootpath)
    except ProjectNotFound:
        return Library.load(config.invocation_params.dir)


class EvalSession:
    """``--promptlib`` state for one process: the library, the chosen cases, their results and run dirs."""

    def __init__(
        self, config: pytest.Config, library: Library, selected: set[str] | None, options: EvalOptions
    ) -> None:
        self.config = config
        self.library = library
        self.selected = selected  # case keys chosen by --promptlib-suite; None: every case
        self.options = options
        self.results: dict[str, CaseResult] = {}
        self.errors: dict[str, Exception] = {}
        self.report_of: dict[str, Path] = {}
        self.batches = 0
        self.outcomes: dict[str, dict[str, Any]] = {}  # nodeid → what the item reported (controller side)
        self.merge_problem: str | None = None

    @classmethod
    def start(cls, config: pytest.Config) -> EvalSession:
        """Load the project and check the options now, so a mistake is one usage error, not N failures."""
        from promptlib.evals._cases import select_cases
        from promptlib.evals._runner import EvalOptions
        from promptlib.evals._suites import discover_suites
        from promptlib.exceptions import ProjectNotFound, PromptlibError, UsageError

        try:
            library = project_library(config)
        except ProjectNotFound as exc:
            raise pytest.UsageError(f"promptlib: {exc}, or pass --promptlib-project DIR") from None
        try:
            deployment = config.getoption("promptlib_deployment")
            if deployment:
                library.settings.deployment(deployment)
            if not discover_suites(library.settings.evals_dir):
                raise UsageError(f"no eval suites under {library.settings.evals_dir}; add evals/<suite>.yaml")
            selectors = config.getoption("promptlib_suites")
            selected = {case.key for case in select_cases(library, selectors)[0]} if selectors else None
        except PromptlibError as exc:
            raise pytest.UsageError(f"promptlib: {exc}") from None
        options = EvalOptions(
            deployment=deployment,
            samples=config.getoption("promptlib_samples"),
            cache="off" if config.getoption("promptlib_no_cache") else "use",
        )
        _include_evals_dir(config, library.settings.evals_dir)
        return cls(config, library, selected, options)

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> SuiteCollector | None:
        """https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_collect_file"""
        if file_path.suffix != ".yaml":
            return None
        evals_dir = self.library.settings.evals_dir.resolve()
        resolved = file_path.resolve()
        if not resolved.is_relative_to(evals_dir):
            return None
        from promptlib.evals._suites import suite_name, suite_name_problem

        name = suite_name(resolved.relative_to(evals_dir).as_posix())
        if name is None or suite_name_problem(name) is not None:  # misnamed ones: `promptlib check` reports them
            return None
        return SuiteCollector.from_parent(parent, path=file_path, suite=name, evals=self)

    def suite_of(self, suite: str, path: Path) -> SuiteCases:
        """The suite as eval reads it: its runnable cases (the selected ones) and its own problems."""
        from promptlib.evals._cases import read_suite

        found = read_suite(self.library, suite, path)
        found.cases = [case for case in found.cases if self.selected is None or case.key in self.selected]
        return found

    def result_for(self, item: CaseItem) -> CaseResult:
        """The case's result, running it (with the other cases this process was given) on first use."""
        key = item.case.key
        if key not in self.results and key not in self.errors:
            batch = {i.case.key: i.case for i in (item, *pending_items(item))}
            self._run([case for k, case in batch.items() if k not in self.results and k not in self.errors])
        if key in self.errors:
            raise self.errors[key]
        return self.results[key]

    def _run(self, cases: list[EvalCase]) -> None:
        from promptlib.reports._execute import execute, report_path, runs_root

        self.batches += 1
        worker = worker_input(self.config)
        run_dir = None
        if worker is not None:
            suffix = "" if self.batches == 1 else f"-{self.batches}"
            run_dir = runs_root(self.library) / f"pytest-{worker['testrunuid'][:12]}" / f"{worker['workerid']}{suffix}"
        try:
            result, run, _ = execute(self.library, cases, self.options, full_run=self._full_run(cases), run_dir=run_dir)
        except Exception as exc:
            for case in cases:
                self.errors[case.key] = exc
            return
        for case_result in result.cases:
            self.results[case_result.key] = case_result
            self.report_of[case_result.key] = report_path(run)

    def _full_run(self, cases: list[EvalCase]) -> bool:
        """Unused goldens are only reported when the run covers every case of the project."""
        from promptlib.evals._cases import select_cases

        if self.selected is not None or worker_input(self.config) is not None:
            return False
        return {c.key for c in cases} == {c.key for c in select_cases(self.library, ())[0]}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_runtest_logreport"""
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, str):
                try:
                    outcome = json.loads(value)
                except ValueError:
                    continue
                if isinstance(outcome, dict):
                    self.outcomes[report.nodeid] = outcome

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """With xdist, each worker wrote its own run: join them into one (what `report merge` makes), which
        `latest` points at, so `promptlib approve` and the report see every case of the session."""
        if worker_input(self.config) is not None:
            return
        reports = sorted({Path(o["report"]) for o in self.outcomes.values() if o.get("report")})
        if len(reports) < 2:
            return
        from promptlib.exceptions import PromptlibError
        from promptlib.reports._execute import runs_root
        from promptlib.reports._merge import full_run_scope, merge_runs
        from promptlib.reports._runs import mark_latest

        root = runs_root(self.library)
        try:
            merged = merge_runs([report.parent for report in reports], root, None, full_run_scope(self.library))
        except PromptlibError as exc:
            self.merge_problem = f"promptlib: the workers' runs could not be joined: {exc}"
            return
        mark_latest(root, merged.run)
        for outcome in self.outcomes.values():
            outcome["report"] = str(merged.run.path / "report.html")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_terminal_summary"""
        if self.outcomes:
            terminalreporter.write_line(summary_line(list(self.outcomes.values())))
        if self.merge_problem:
            terminalreporter.write_line(self.merge_problem)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.library.close()


def _include_evals_dir(config: pytest.Config, evals_dir: Path) -> None:
    """Collect the suites even when the arguments (or testpaths) do not reach evals/.

    Arguments that cover evals/ (the project root) or point into it (``evals/brand.yaml::case``) are left
    as they are.
    """
    base, evals = config.invocation_params.dir, evals_dir.resolve()
    for arg in config.args:
        target = (base / arg.split("::")[0]).resolve()
        if evals.is_relative_to(target) or target.is_relative_to(evals):
            return
    config.args.append(str(evals_dir))


@pytest.fixture
def promptlib_library(request: pytest.FixtureRequest) -> Iterator[Library]:
    """The project's :class:`~promptlib.Library` (see ``--promptlib-project``); closed after the test."""
    with project_library(request.config) as library:
        yield library


@pytest.fixture
def promptlib_emulator_config() -> EmulatorConfig:
    """How ``promptlib_emulator`` behaves; override this fixture to change it (default: a random key)."""
    import secrets

    from promptlib.emulator import EmulatorConfig

    return EmulatorConfig(api_key=secrets.token_urlsafe(16))


@pytest.fixture
def promptlib_emulator(promptlib_emulator_config: EmulatorConfig) -> Iterator[ServedEmulator]:
    """An emulator served on 127.0.0.1: ``base_url``, ``api_key``, ``requests`` (what it received)."""
    from promptlib.testing import serve_emulator

    with serve_emulator(promptlib_emulator_config) as emulator:
        yield emulator
