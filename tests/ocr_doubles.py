"""Stand-ins for an OCR engine, for tests that specify what promptlib does around the engine (not the engine).

Imported by `tests/text` and `tests/evals`, as `project_helpers` is: a conftest cannot be imported across
test folders.
"""

from __future__ import annotations

import io

from PIL import Image

from promptlib.text._reading import Reading, TextLine


class FarsightedReader:
    """An OCR engine that sees the text of an image only when it is 2048 px wide or more (as detectors miss
    small type): every first look at a 1024-px image finds nothing, every second look finds "20% off"."""

    engine = "farsighted 1.0"

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def read(self, data: bytes) -> Reading:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
        self.sizes.append(size)
        box = ((100.0, 40.0), (500.0, 40.0), (500.0, 120.0), (100.0, 120.0))
        lines = (TextLine("20% off", box, 0.99, (0.99,) * 7),) if size[0] >= 2048 else ()
        return Reading(self.engine, size[0], size[1], lines)
