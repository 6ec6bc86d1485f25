"""What CI systems read besides our own text: GitHub workflow annotations and JUnit XML.

Both carry text a pull request wrote (messages, names), so both are escaped for their format: a GitHub
annotation's data and properties are percent-encoded as the runner decodes them (a newline in a message can
never start a second command), and JUnit XML is built with ElementTree, which escapes markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from promptlib.core._safe_text import one_line, terminal

Level = Literal["error", "warning", "notice"]


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(
    level: Level, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """`::error file=…,line=…,title=…::message`, shown on the file's line in the PR diff and in the summary."""
    properties = [
        f"file={_property(file)}" if file else "",
        f"line={line}" if file and line else "",
        f"title={_property(title)}" if title else "",
    ]
    joined = ",".join(p for p in properties if p)
    return f"::{level}{' ' + joined if joined else ''}::{_data(terminal(message, log=False))}"


_CASE_LEVEL: dict[str, Level] = {
    "error": "error",
    "failed": "error",
    "degenerate": "error",
    "blocked": "error",
    "new": "warning",
    "skipped": "notice",
}


def eval_annotations(results: Mapping[str, Any]) -> Iterable[str]:
    """One annotation per case that needs attention, at its suite entry; one per suite problem."""
    for problem in results.get("suite_errors") or []:
        yield github_annotation(
            "error",
            str(problem["message"]),
            file=str(problem["path"]),
            line=problem.get("line"),
            title=f"promptlib eval {problem['suite']}",
        )
    for case in results.get("cases") or []:
        level = _CASE_LEVEL.get(str(case.get("status")))
        if level is None:
            yield from _text_annotations(case)
            continue
        yield github_annotation(
            level,
            f"{case['status']}: {case.get('message', '')}",
            file=case.get("suite_path"),
            line=case.get("line"),
            title=f"promptlib eval {case['key']}",
        )


def _text_annotations(case: Mapping[str, Any]) -> Iterable[str]:
    """A case that passed although some samples missed their text (within m of K): a warning per missed text."""
    text = case.get("text")
    misses = text.get("misses") if isinstance(text, Mapping) else None
    for miss in misses if isinstance(misses, list) else []:
        yield github_annotation(
            "warning",
            f"{case.get('status')}, but {miss}",
            file=case.get("suite_path"),
            line=case.get("line"),
            title=f"promptlib eval {case.get('key')}",
        )


def junit_xml(results: Mapping[str, Any]) -> str:
    """The run as JUnit XML: a testsuite per eval suite, a testcase per case (any CI system reads it)."""
    root = ET.Element(
        "testsuites",
        name="promptlib eval",
        tests=str(len(results.get("cases") or [])),
        time=f"{results.get('totals', {}).get('wall_time_s', 0):.3f}",
    )
    suites: dict[str, ET.Element] = {}
    for case in results.get("cases") or []:
        suite = suites.get(case["suite"])
        if suite is None:
            suite = suites[case["suite"]] = ET.SubElement(root, "testsuite", name=case["suite"])
        element = ET.SubElement(
            suite,
            "testcase",
            classname=case["suite"],
            name=case["case"],
            file=str(case.get("suite_path") or ""),
            line=str(case.get("line") or ""),
        )
        status, message = str(case.get("status")), one_line(case.get("message", ""))
        if status == "skipped":
            ET.SubElement(element, "skipped", message=message)
        elif status == "error":
            ET.SubElement(element, "error", message=message, type="error").text = message
        elif status != "passed":
            ET.SubElement(element, "failure", message=message, type=status).text = message
    for problem in results.get("suite_errors") or []:
        suite = suites.get(problem["suite"])
        if suite is None:
            suite = suites[problem["suite"]] = ET.SubElement(root, "testsuite", name=problem["suite"])
        element = ET.SubElement(
            suite,
            "testcase",
            classname=problem["suite"],
            name="suite-problems",
            file=str(problem["path"]),
            line=str(problem.get("line") or ""),
        )
        text = one_line(problem["message"])
        ET.SubElement(element, "error", message=text, type="suite").text = text
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
