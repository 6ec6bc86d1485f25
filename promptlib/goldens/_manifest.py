"""What `case.json` holds: the approved goldens, the rejected look-alikes, the calibration, and what they were
approved against; read strictly, because a pull request may have written it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from promptlib.core._bounded import ReadRefused, parse_json
from promptlib.core._clock import utc_now
from promptlib.core._safe_text import one_line
from promptlib.exceptions import GoldenError
from promptlib.goldens._compare import Calibration, calibrate
from promptlib.goldens._hashing import ALGORITHMS, ImageFingerprint, parse_hex

MANIFEST = "case.json"
SCHEMA = "promptlib-golden-case/1"
_EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldenEntry(_Model):
    file: str = Field(pattern=r"^g-[0-9a-f]{12}\.(png|jpg|webp)$")  # a name in the case directory, never a path
    sha256: str
    width: int
    height: int
    mode: str
    format: str
    hashes: dict[str, str]
    approved_by: str
    approved_at: str
    source_run: str | None = None
    sample: int | None = None


class RejectedEntry(_Model):
    sha256: str
    hashes: dict[str, str]
    reason: str
    by: str
    at: str
    source_run: str | None = None


class TemplateRef(_Model):
    id: str
    version: int
    content_hash: str


class CaseManifest(_Model):
    """``case.json``: reviewed in the PR diff, so every field is plain and sorted."""

    schema_: str = Field(SCHEMA, alias="schema")
    suite: str
    case: str
    template: TemplateRef
    operation: str
    prompt: str
    parameters: dict[str, Any]
    request_hash: str
    deployment: str
    model: str
    hash_spec: dict[str, Any]
    calibration: dict[str, Any]
    goldens: list[GoldenEntry]
    rejected: list[RejectedEntry] = Field(default_factory=list)

    def golden_hashes(self) -> list[tuple[str, dict[str, int]]]:
        return [(g.sha256, parse_hex(g.hashes)) for g in self.goldens]

    def rejected_hashes(self) -> list[tuple[str, dict[str, int], str]]:
        return [(r.sha256, parse_hex(r.hashes), r.reason) for r in self.rejected]

    def calibration_value(self) -> Calibration:
        data = self.calibration
        return Calibration(
            thresholds={k: int(v) for k, v in data["thresholds"].items()},
            sensitivity=data["sensitivity"],
            loo_nn_max=data.get("loo_nn_max", {}),
            cross_case_p5=data.get("cross_case_p5", {}),
            cross_source=data.get("cross_source", "natural-images"),
            goldens=int(data.get("goldens", len(self.goldens))),
        )


@dataclass(frozen=True)
class ApprovalSource:
    """What the approved samples were generated from (recorded in the manifest)."""

    template: TemplateRef
    operation: str
    prompt: str
    parameters: dict[str, Any]
    request_hash: str
    deployment: str
    model: str


@dataclass(frozen=True)
class Candidate:
    """One image to approve, with where it came from."""

    data: bytes
    source_run: str | None = None
    sample: int | None = None


def read_manifest(path: Path, data: bytes) -> CaseManifest:
    try:
        raw = parse_json(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GoldenError(f"cannot read the manifest: {exc}", path=path) from None
    except json.JSONDecodeError as exc:
        raise GoldenError(
            f"the manifest is not valid JSON ({exc.msg}); restore it from git", path=path, line=exc.lineno
        ) from None
    except ReadRefused as exc:
        raise GoldenError(f"the manifest {exc}; restore it from git", path=path) from None
    try:
        return CaseManifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = f"the manifest is invalid at {where}: {first['msg']}; restore it from git"
        raise GoldenError(message, path=path) from None


def check_manifest_values(manifest: CaseManifest, path: Path) -> None:
    """Values the comparison relies on: every hash present and hex, thresholds that are numbers."""
    try:
        manifest.calibration_value()
        entries: list[tuple[str, dict[str, str]]] = [(g.sha256, g.hashes) for g in manifest.goldens]
        entries += [(r.sha256, r.hashes) for r in manifest.rejected]
        for sha256, hashes in entries:
            missing = [alg for alg in ALGORITHMS if alg not in hashes]
            if missing:
                raise ValueError(f"{sha256[:12]} has no {', '.join(missing)} hash")
            parse_hex(hashes)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise GoldenError(
            f"the manifest has an unusable calibration or hash ({detail}); restore it from git or re-approve the case",
            path=path,
        ) from None


def calibration_mismatch(manifest: CaseManifest, others: Sequence[dict[str, int]]) -> str | None:
    """Why the manifest's calibration is not the one its goldens give, or None.

    Calibration is a function of the goldens' hashes (verified against the images) and the other cases'
    goldens, so it is recomputed rather than trusted: a pull request cannot widen a case's thresholds.
    """
    expected = calibrate([hashes for _, hashes in manifest.golden_hashes()], others).to_dict()
    if expected == manifest.calibration:
        return None

    def shown(calibration: dict[str, Any]) -> str:
        thresholds = calibration.get("thresholds")
        if not isinstance(thresholds, dict):
            return "none"
        return ", ".join(f"{alg} {one_line(thresholds.get(alg))}" for alg in ("phash", "dhash", "whash"))

    return (
        f"case.json's calibration is not what its goldens give (thresholds {shown(manifest.calibration)} "
        f"recorded, {shown(expected)} computed); thresholds are calibrated, never edited: restore case.json "
        "from git, or re-approve the case"
    )


def entry_for(candidate: Candidate, approved_by: str, fp: ImageFingerprint) -> GoldenEntry:
    """The manifest entry for an image about to be approved, from its fingerprint (hashed once by the store)."""
    ext = _EXTENSIONS.get(fp.format, "png")
    return GoldenEntry(
        file=f"g-{fp.sha256[:12]}.{ext}",
        sha256=fp.sha256,
        width=fp.width,
        height=fp.height,
        mode=fp.mode,
        format=fp.format,
        hashes=fp.hex(),
        approved_by=approved_by,
        approved_at=utc_now(),
        source_run=candidate.source_run,
        sample=candidate.sample,
    )
