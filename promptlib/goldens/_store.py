"""The golden store: ``evals/goldens/<suite>/<case>/`` with ``case.json`` and content-addressed images.

One directory per case keeps PR diffs local; images are named by their sha256
(``g-<sha256[:12]>.png``) so approving twice is idempotent; the manifest records
what the goldens were approved against (template, version, prompt, parameters,
model, hash spec) and who approved them. Writes are atomic and serialised with a
file lock, so two ``approve`` runs at once never corrupt a manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from filelock import FileLock

from promptlib.core._atomic import atomic_write_bytes, atomic_write_text
from promptlib.core._bounded import IMAGE_LIMIT, TEXT_LIMIT, ReadRefused, read_bytes
from promptlib.core._clock import utc_now
from promptlib.core._image_files import ImageRefused, header
from promptlib.core._names import SEGMENT
from promptlib.core._safe_text import one_line
from promptlib.exceptions import GoldenError
from promptlib.goldens._compare import calibrate
from promptlib.goldens._fingerprints import FingerprintCache
from promptlib.goldens._hashing import ALGORITHMS, HASH_SPEC_ID, ImageFingerprint, fingerprint, parse_hex, spec
from promptlib.goldens._manifest import (
    MANIFEST,
    ApprovalSource,
    Candidate,
    CaseManifest,
    GoldenEntry,
    RejectedEntry,
    check_manifest_values,
    entry_for,
    read_manifest,
)
from promptlib.goldens._population import GoldenHashes


class GoldenStore:
    """All golden sets of a project, under ``evals/goldens``."""

    def __init__(self, root: Path, lock_dir: Path, fingerprints: FingerprintCache | None = None) -> None:
        self.root = root
        self.lock_dir = lock_dir
        self.fingerprints = fingerprints  # remembers golden fingerprints by sha256 (the bytes are checked first)

    def fingerprint_of(self, data: bytes, sha256: str) -> ImageFingerprint:
        return self.fingerprints.fingerprint(data, sha256) if self.fingerprints is not None else fingerprint(data)

    def _fingerprint(self, data: bytes) -> ImageFingerprint:
        """An image about to be approved or rejected, hashed once per content (eval already hashed its samples)."""
        try:
            return self.fingerprint_of(data, hashlib.sha256(data).hexdigest())
        except ValueError as exc:
            raise GoldenError(f"cannot approve: {exc}") from None

    def golden_hashes(self, *, strict: bool = True, skip: tuple[str, str] | None = None) -> GoldenHashes:
        """Every case's recorded golden hashes. A manifest that cannot be read raises GoldenError (writers must
        not calibrate against a partial set), or with ``strict=False`` is left out (readers report it alone)."""
        found: dict[tuple[str, str], list[dict[str, int]]] = {}
        for suite, case in self.cases():
            if (suite, case) == skip:
                continue
            try:
                manifest = self.load(suite, case, verify=False)
                if manifest is not None:
                    found[(suite, case)] = [hashes for _, hashes in manifest.golden_hashes()]
            except (ValueError, TypeError) as exc:
                if strict:
                    raise GoldenError(
                        f"case.json has an unusable hash ({exc}); restore it from git or re-approve the case",
                        path=self.case_dir(suite, case) / MANIFEST,
                    ) from None
            except GoldenError:
                if strict:
                    raise
        return GoldenHashes(found)

    def others(self, suite: str, case: str, every: GoldenHashes | None = None) -> Sequence[dict[str, int]]:
        """Hashes of every other case's goldens: the "unrelated" side of calibration. Pass `every` (read once)
        when calibrating many cases: it is packed once for all of them."""
        every = self.golden_hashes(skip=(suite, case)) if every is None else every
        return every.others((suite, case))

    def case_dir(self, suite: str, case: str) -> Path:
        """`evals/goldens/<suite>/<case>`, refused unless every segment is a valid name and no folder on the
        way is a symbolic link: a write through a link could land anywhere."""
        parts = [*suite.split("/"), case]
        if not all(SEGMENT.match(part) for part in parts):
            raise GoldenError(f"{one_line(suite)}/{one_line(case)} is not a valid suite/case name", path=self.root)
        current = self.root
        for part in ["", *parts]:
            current = current / part if part else current
            if current.is_symlink():
                raise GoldenError(
                    "is a symbolic link; golden folders must be real directories (restore it from git)", path=current
                )
        if not current.resolve().is_relative_to(self.root.resolve()):
            raise GoldenError("leaves evals/goldens/; golden folders must be inside it", path=current)
        return current

    def read_file(self, path: Path, limit: int) -> bytes:
        """A file of a golden folder: no symlinks, a regular file, at most `limit` bytes (GoldenError if not)."""
        if path.is_symlink():
            raise GoldenError("is a symbolic link; golden files must be real files (restore it from git)", path=path)
        try:
            return read_bytes(path, within=self.root, limit=limit)
        except ReadRefused as exc:
            raise GoldenError(f"the file {exc}", path=path) from None

    def _lock(self, suite: str, case: str) -> FileLock:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(f"{suite}/{case}".encode()).hexdigest()[:16]
        return FileLock(str(self.lock_dir / f"golden-{name}.lock"), timeout=60)

    def load(self, suite: str, case: str, *, verify: bool = True) -> CaseManifest | None:
        """The case's manifest (None when it has no goldens); corrupt or missing files raise GoldenError."""
        path = self.case_dir(suite, case) / MANIFEST
        if not path.exists():
            if self.case_dir(suite, case).is_dir() and any(self.case_dir(suite, case).glob("g-*")):
                raise GoldenError(f"golden images without a {MANIFEST}; re-approve the case", path=path.parent)
            return None
        manifest = read_manifest(path, self.read_file(path, TEXT_LIMIT))
        # The directory is the case: a manifest copied or renamed from another case must not write back there.
        manifest.suite, manifest.case = suite, case
        if manifest.hash_spec.get("id") != HASH_SPEC_ID:
            raise GoldenError(
                f"goldens were hashed with spec {manifest.hash_spec.get('id')!r}, this promptlib uses "
                f"{HASH_SPEC_ID!r}; re-approve the case",
                path=path,
            )
        if verify:
            if not manifest.goldens:
                raise GoldenError(
                    f"{MANIFEST} lists no goldens, so nothing can match; re-approve the case or delete its directory",
                    path=path,
                )
            check_manifest_values(manifest, path)
            for golden in manifest.goldens:
                _verify_golden(self, path.parent / golden.file, golden)
        return manifest

    def image_path(self, suite: str, case: str, entry: GoldenEntry) -> Path:
        return self.case_dir(suite, case) / entry.file

    def cases(self) -> Iterator[tuple[str, str]]:
        """Every (suite, case) that has a golden directory."""
        if not self.root.is_dir():
            return
        for manifest in sorted(self.root.rglob(MANIFEST)):
            case_dir = manifest.parent
            yield case_dir.parent.relative_to(self.root).as_posix(), case_dir.name

    def approve(
        self,
        suite: str,
        case: str,
        source: ApprovalSource,
        candidates: Sequence[Candidate],
        *,
        approved_by: str,
        replace: bool = True,
        others: Sequence[dict[str, int]] = (),
    ) -> CaseManifest:
        """Copy candidates in as goldens (replacing the set unless ``replace=False``) and recalibrate."""
        with self._lock(suite, case):
            previous = self.load(suite, case, verify=False)
            entries = list(previous.goldens) if previous and not replace else []
            case_dir = self.case_dir(suite, case)
            for candidate in candidates:
                entry = entry_for(candidate, approved_by, self._fingerprint(candidate.data))
                if any(e.sha256 == entry.sha256 for e in entries):
                    continue
                atomic_write_bytes(case_dir / entry.file, candidate.data)
                entries.append(entry)
            if not entries:
                raise GoldenError("nothing to approve", path=case_dir)
            rejected = list(previous.rejected) if previous else []
            manifest = self._manifest(suite, case, source, entries, rejected, others)
            self._write(manifest)
            self._remove_unlisted(case_dir, manifest)
            return manifest

    def reject(
        self, suite: str, case: str, data: bytes, *, reason: str, by: str, source_run: str | None
    ) -> CaseManifest:
        """Record a known-bad image: later samples that look like it fail with ``reason``."""
        with self._lock(suite, case):
            manifest = self.load(suite, case, verify=False)
            if manifest is None:
                raise GoldenError(
                    f"{suite}/{case} has no goldens yet; approve good samples first, then reject bad ones",
                    path=self.case_dir(suite, case),
                )
            fp = self._fingerprint(data)
            if any(r.sha256 == fp.sha256 for r in manifest.rejected):
                return manifest
            manifest.rejected.append(
                RejectedEntry(
                    sha256=fp.sha256, hashes=fp.hex(), reason=reason, by=by, at=utc_now(), source_run=source_run
                )
            )
            manifest.goldens = [g for g in manifest.goldens if g.sha256 != fp.sha256]
            if not manifest.goldens:
                raise GoldenError(f"{suite}/{case}: rejecting that image would leave no goldens; approve others first")
            self._write(manifest)
            self._remove_unlisted(self.case_dir(suite, case), manifest)
            return manifest

    def unreject(self, suite: str, case: str, prefixes: Sequence[str], *, every: bool = False) -> list[RejectedEntry]:
        """Forget rejected images (by sha256 prefix, or all): later look-alikes are judged like any sample."""
        with self._lock(suite, case):
            manifest = self.load(suite, case, verify=False)
            if manifest is None or not manifest.rejected:
                raise GoldenError(f"{suite}/{case} has no rejected images", path=self.case_dir(suite, case))
            chosen = (
                list(manifest.rejected)
                if every
                else [r for r in manifest.rejected if any(r.sha256.startswith(p.lower()) for p in prefixes)]
            )
            unmatched = [p for p in prefixes if not any(r.sha256.startswith(p.lower()) for r in manifest.rejected)]
            if unmatched or not chosen:
                listed = "; ".join(f"{r.sha256[:12]} ({one_line(r.reason)})" for r in manifest.rejected)
                raise GoldenError(
                    f"{suite}/{case} has no rejected image {', '.join(unmatched) or 'matching'}; its "
                    f"rejected images: {listed}",
                    path=self.case_dir(suite, case) / MANIFEST,
                )
            manifest.rejected = [r for r in manifest.rejected if r not in chosen]
            self._write(manifest)
            return chosen

    def recalibrate(self, suite: str, case: str, others: Sequence[dict[str, int]]) -> CaseManifest:
        """Recompute a case's thresholds against ``others`` (re-read under the lock: nothing else is lost)."""
        with self._lock(suite, case):
            manifest = self.load(suite, case, verify=False)
            if manifest is None:
                raise GoldenError(f"{suite}/{case} has no goldens to calibrate", path=self.case_dir(suite, case))
            goldens = [h for _, h in manifest.golden_hashes()]
            calibration = calibrate(goldens, others).to_dict()
            if calibration != manifest.calibration:  # unchanged manifests stay untouched (no PR noise)
                manifest.calibration = calibration
                self._write(manifest)
            return manifest

    def prune(self, keep: set[tuple[str, str]]) -> list[Path]:
        """Delete golden directories of cases that no longer exist."""
        removed = []
        for suite, case in list(self.cases()):
            if (suite, case) not in keep:
                directory = self.case_dir(suite, case)
                with self._lock(suite, case):
                    shutil.rmtree(directory)
                removed.append(directory)
                _remove_empty_parents(directory.parent, self.root)
        return removed

    def _manifest(
        self,
        suite: str,
        case: str,
        source: ApprovalSource,
        entries: list[GoldenEntry],
        rejected: list[RejectedEntry],
        others: Sequence[dict[str, int]],
    ) -> CaseManifest:
        calibration = calibrate([parse_hex(e.hashes) for e in entries], others)
        return CaseManifest(
            suite=suite,
            case=case,
            template=source.template,
            operation=source.operation,
            prompt=source.prompt,
            parameters=source.parameters,
            request_hash=source.request_hash,
            deployment=source.deployment,
            model=source.model,
            hash_spec=spec(),
            calibration=calibration.to_dict(),
            goldens=entries,
            rejected=rejected,
        )

    def _write(self, manifest: CaseManifest) -> None:
        path = self.case_dir(manifest.suite, manifest.case) / MANIFEST
        data = manifest.model_dump(by_alias=True)
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    @staticmethod
    def _remove_unlisted(case_dir: Path, manifest: CaseManifest) -> None:
        listed = {g.file for g in manifest.goldens}
        for image in case_dir.glob("g-*"):
            if image.name not in listed:
                image.unlink()


def _verify_golden(store: GoldenStore, path: Path, entry: GoldenEntry) -> None:
    try:
        data = store.read_file(path, IMAGE_LIMIT)
    except FileNotFoundError:
        raise GoldenError("golden image is missing; restore it from git or re-approve the case", path=path) from None
    except OSError as exc:
        raise GoldenError(f"cannot read golden image: {exc.strerror}", path=path) from None
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        raise GoldenError(
            "golden image does not match its sha256 in case.json (corrupt?); restore it from git", path=path
        )
    try:
        found = header(data)
    except ImageRefused as exc:
        raise GoldenError(f"golden image {exc}; restore it from git or re-approve the case", path=path) from None
    size = (found.width, found.height)
    if size != (entry.width, entry.height):
        raise GoldenError(
            f"golden image is {size[0]}x{size[1]} but case.json records {entry.width}x{entry.height}; "
            "restore case.json from git or re-approve the case",
            path=path,
        )
    try:
        actual = store.fingerprint_of(data, entry.sha256).hex()
    except ValueError as exc:
        raise GoldenError(f"golden image cannot be hashed ({exc}); re-approve the case", path=path) from None
    if any(entry.hashes.get(alg) != actual[alg] for alg in ALGORITHMS):
        raise GoldenError(
            "case.json records hashes that are not this image's; restore case.json from git or re-approve the case",
            path=path,
        )


def check_golden_sizes(store: GoldenStore, manifest: CaseManifest, expected: str | None) -> None:
    """Goldens of another size than the case asks for (``expect.size`` or the template's size) are an error."""
    if not expected:
        return
    for golden in manifest.goldens:
        if f"{golden.width}x{golden.height}" != expected:
            raise GoldenError(
                f"golden is {golden.width}x{golden.height} but the case expects {expected}; re-approve the case "
                "from a run at the new size",
                path=store.image_path(manifest.suite, manifest.case, golden),
            )


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
