"""The difference heatmap of two images, computed server-side with Pillow (the other compare modes are CSS/JS)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageChops, ImageOps
from starlette.requests import Request
from starlette.responses import Response

from promptlib.core._bounded import IMAGE_LIMIT, ReadRefused, read_bytes
from promptlib.web._app import context
from promptlib.web._runs import playground_root

MAX_EDGE = 1024


def _image(root: Path, reference: str) -> Image.Image | None:
    """`RUN_ID/relative/path.png` inside the playground's runs, decoded (None when refused)."""
    run_id, _, name = reference.partition("/")
    if not run_id or run_id.startswith(".") or not name:
        return None
    try:
        data = read_bytes(root / run_id / name, within=root / run_id, limit=IMAGE_LIMIT)
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (MAX_EDGE, MAX_EDGE))
        return image.convert("RGB")
    except (ReadRefused, OSError, ValueError, Image.DecompressionBombError):
        return None


def difference_heatmap(a: Image.Image, b: Image.Image) -> Image.Image:
    """Where two images differ, hot (yellow-red) over cold (dark blue), at the first image's size."""
    b = b.resize(a.size)
    diff = ImageOps.autocontrast(ImageChops.difference(a, b).convert("L"), cutoff=1)
    return ImageOps.colorize(diff, black="#0b1a3a", mid="#d9480f", white="#ffe066")


async def heatmap(request: Request) -> Response:
    web = context(request)
    root = playground_root(web.library)
    first = _image(root, request.query_params.get("a", ""))
    second = _image(root, request.query_params.get("b", ""))
    if first is None or second is None:
        return web.error(request, "compare two images of playground runs", 404)
    first.thumbnail((MAX_EDGE, MAX_EDGE))
    buffer = io.BytesIO()
    difference_heatmap(first, second).save(buffer, "PNG")
    return Response(buffer.getvalue(), media_type="image/png")
