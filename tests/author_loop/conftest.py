"""A new author's project, made the way the walkthrough made it: `promptlib init`, then their own templates.

`init` gives the example product shot; the author adds a generate template of their own and an edit
template (a product photo and a mask), and a suite `shop` for them. Each test then makes one of the
mistakes real authors make, through the real CLI.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from e2e.helpers import promptlib
from PIL import Image, ImageDraw

LAMP = """\
version: 1
description: A desk lamp in a room.
operation: generate
variables:
  room: {type: enum, values: [study, kitchen], default: study}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: |
  A brass desk lamp on a wooden desk in a {{ room }}, warm evening light.
examples:
  - name: lamp
    variables: {room: study}
  - name: kitchen-lamp
    variables: {room: kitchen}
"""
RECOLOR = """\
version: 1
description: Put the product on a new background.
operation: edit
variables:
  photo: {type: image, role: image}
  mask: {type: image, role: mask}
  scene: {type: enum, values: [beach, marble], default: beach}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: |
  Keep the product exactly as it is; replace the background with a {{ scene }} scene.
"""
SHOP = """\
samples: 3
policy: {min_matches: 2, max_samples: 5}
cases:
  - id: mug-on-beach
    prompt: shop/recolor
    variables: {photo: assets/mug.png, mask: assets/mug-mask.png}
  - from_examples: shop/lamp
"""


def png(size: tuple[int, int], mode: str = "RGB", hole: bool = False) -> bytes:
    """A product photo (a mug-ish shape) or, with `hole`, its mask: transparent where the edit may paint."""
    image = Image.new(mode, size, (240, 240, 235, 255) if mode == "RGBA" else (240, 240, 235))
    draw = ImageDraw.Draw(image)
    if hole:
        draw.rectangle((0, 0, size[0], size[1] // 2), fill=(0, 0, 0, 0))
    else:
        draw.ellipse((size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4), fill=(30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


Run = Callable[..., Result]


@pytest.fixture
def author(tmp_path: Path) -> Path:
    """`promptlib init`, the author's two templates and their `shop` suite, locked: `check` is green."""
    root = tmp_path / "shop-repo"
    root.mkdir()
    assert promptlib(root, "init").exit_code == 0
    for relative, text in (
        ("prompts/shop/lamp.yaml", LAMP),
        ("prompts/shop/recolor.yaml", RECOLOR),
        ("evals/shop.yaml", SHOP),
    ):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    (root / "assets").mkdir()
    (root / "assets/mug.png").write_bytes(png((1024, 1024)))
    (root / "assets/mug-mask.png").write_bytes(png((1024, 1024), "RGBA", hole=True))
    assert promptlib(root, "lock").exit_code == 0
    check = promptlib(root, "check")
    assert check.exit_code == 0, check.output
    return root


@pytest.fixture
def run(author: Path) -> Run:
    """`promptlib ARGS` in the author's project."""

    def invoke(*args: str) -> Result:
        return promptlib(author, *args)

    return invoke
