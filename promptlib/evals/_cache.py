"""Content-addressed result cache: an unchanged request costs nothing the second time.

Keyed by the request hash (prompt, parameters, input images, deployment, model,
sample). Each entry is a directory of image files plus ``meta.json`` written last,
so an entry without its sidecar is unfinished and ignored; images are checked
against their sha256 on the way out, and a damaged entry is discarded, never
returned. No base64 in JSON, no secrets anywhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from promptlib.client._requests import ImageRequest
from promptlib.client._results import FilteredImage, GeneratedImage, GenerationResult
from promptlib.core._atomic import atomic_write_bytes, atomic_write_text
from promptlib.models._pricing import Usage

META = "meta.json"
CACHE_SCHEMA = 1


class ResultCache:
    """``.promptlib/cache/<hash[:2]>/<hash>/`` entries."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, request_hash: str) -> Path:
        return self.root / request_hash[:2] / request_hash

    def image_file(self, request_hash: str, index: int, extension: str) -> Path | None:
        """The cached file of one image of an entry (to share its bytes), or None when there is none."""
        path = self._dir(request_hash) / f"{index}.{extension}"
        return path if path.is_file() and (self._dir(request_hash) / META).is_file() else None

    def get(self, request: ImageRequest) -> GenerationResult | None:
        """The stored result, or None (missing, unfinished or damaged — damaged entries are removed)."""
        directory = self._dir(request.request_hash)
        meta_path = directory / META
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("the sidecar is not a JSON object")
            if meta.get("schema") != CACHE_SCHEMA or meta.get("request_hash") != request.request_hash:
                raise ValueError("schema or key mismatch")
            return _result(request, directory, meta)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            shutil.rmtree(directory, ignore_errors=True)
            return None

    def put(self, result: GenerationResult) -> None:
        """Store images first and the sidecar last, each atomically."""
        directory = self._dir(result.request_hash)
        items = []
        for image in result.images:
            name = f"{image.index}.{image.extension}"
            atomic_write_bytes(directory / name, image.data)
            items.append(
                {
                    "file": name,
                    "sha256": image.sha256,
                    "format": image.format,
                    "width": image.width,
                    "height": image.height,
                    "index": image.index,
                }
            )
        meta: dict[str, Any] = {
            "schema": CACHE_SCHEMA,
            "request_hash": result.request_hash,
            "deployment": result.deployment,
            "model": result.model,
            "request_id": result.request_id,
            "latency_s": round(result.latency_s, 3),
            "cost": result.cost,
            "estimated_cost": result.estimated_cost,
            "usage": result.usage.to_dict() if result.usage else None,
            "images": items,
            "filtered": [f.to_dict() for f in result.filtered],
            "created_at": time.time(),  # for `cache prune --older-than`; not part of the key
        }
        atomic_write_text(directory / META, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def write_failure(exc: OSError, what: str = "the result cache") -> str:
    """One line for a cache that cannot be written (full disk, read-only mount, a file where a folder goes)."""
    import errno

    code = errno.errorcode.get(exc.errno or 0, "error")
    where = f": {exc.filename}" if exc.filename else ""
    return (
        f"{what} could not be written ({code}: {exc.strerror or exc}{where}); this run's results are complete, "
        "but nothing new was cached, so the next run pays for these images again"
    )


def _result(request: ImageRequest, directory: Path, meta: dict[str, Any]) -> GenerationResult:
    """The stored result; any missing or ill-typed field raises (and the entry is discarded)."""
    images = tuple(_load_image(directory, item) for item in meta["images"])
    if not images:
        raise ValueError("no images")
    usage = Usage(**meta["usage"]) if meta.get("usage") else None
    return GenerationResult(
        request=request,
        images=images,
        deployment=str(meta["deployment"]),
        model=str(meta["model"]),
        usage=usage,
        request_id=meta.get("request_id"),
        latency_s=float(meta.get("latency_s", 0.0)),
        cost=0.0,
        estimated_cost=float(meta.get("estimated_cost", 0.0)),
        attempts=0,
        cached=True,
        filtered=tuple(
            FilteredImage(int(f["index"]), tuple(map(str, f["categories"]))) for f in meta.get("filtered", [])
        ),
    )


def _load_image(directory: Path, item: dict[str, Any]) -> GeneratedImage:
    data = (directory / item["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != item["sha256"]:
        raise ValueError("image does not match its sha256")
    return GeneratedImage(
        data=data, format=item["format"], width=int(item["width"]), height=int(item["height"]), index=int(item["index"])
    )
