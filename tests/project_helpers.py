"""The throwaway project the tests build, and a way to run the real command on it.

Imported by tests/conftest.py (which puts this directory on sys.path) and by tests
that want the fixture's file contents or ids.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from promptlib._library import Library
from promptlib.evals._check import CheckReport, check_project
from promptlib.prompts._lock import update_lock

CONFIG = """\
prompts: prompts
evals: evals
default_deployment: local
deployments:
  local:
    kind: emulator
  dev:
    kind: azure-openai
    endpoint: ${env:AZURE_OPENAI_ENDPOINT}
    deployment: gpt-image-15-dev
    model: gpt-image-2
    auth: {type: api-key, env: AZURE_OPENAI_API_KEY}
"""

HERO = """\
version: 3
description: Wide hero image for product launch pages.
owners: [brand-team]
operation: generate
variables:
  product:
    type: string
    required: true
    max_length: 80
    description: Product name as printed on the packaging.
  style:
    type: enum
    values: [photo, illustration, 3d-render]
    default: photo
  tagline: {type: string, default: "", max_length: 120}
parameters:
  size: 1536x1024
  quality: high
  background: opaque
  output_format: png
template: |
  A {{ style }} of {{ product }} on a clean studio set, soft daylight.
  {% include "brand/palette.j2" %}
  {% if tagline %}Leave clear space at the top for the text "{{ tagline }}".{% endif %}
examples:
  - name: sneaker
    variables: {product: Contoso Trailblazer sneaker}
  - name: kettle
    variables: {product: Fabrikam kettle, style: illustration, tagline: Boil less}
"""

LOGO = """\
version: 1
description: Flat logo mark on a transparent background.
parameters: {size: 1024x1024, background: transparent, output_format: png}
template: A flat vector mountain logo mark. {% include "brand/tone.j2" %}
"""

PALETTE = 'Use the brand palette: deep teal and warm sand. {% include "brand/tone.j2" %}\n'
TONE = "Calm, confident, uncluttered.\n"

SUITE = """\
deployment: local
samples: 3
policy: {min_matches: 2, max_samples: 5}
cases:
  - id: sneaker-photo
    prompt: marketing/hero-banner
    variables: {product: Contoso Trailblazer sneaker}
    expect: {size: 1536x1024, format: png}
  - id: logo
    prompt: brand/logo-mark
    expect: {transparent: true}
  - from_examples: marketing/hero-banner
"""

HERO_ID = "marketing/hero-banner"
LOGO_ID = "brand/logo-mark"


class Project:
    """A promptlib project on disk, with helpers to change it the way a PR would."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, text: str, *, dedent: bool = True) -> Path:
        """Write ``text`` (dedented) to ``relative``, creating directories."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
        return path

    def write_template(self, template_id: str, text: str) -> Path:
        return self.write(f"prompts/{template_id}.yaml", text)

    def write_partial(self, name: str, text: str) -> Path:
        return self.write(f"prompts/partials/{name}", text)

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> Path:
        """Replace the one occurrence of ``old``; fail loudly if the fixture text moved."""
        text = self.read(relative)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
        return self.write(relative, text.replace(old, new), dedent=False)

    def edit_template(self, template_id: str, old: str, new: str) -> Path:
        return self.edit(f"prompts/{template_id}.yaml", old, new)

    def library(self) -> Library:
        return Library.load(self.root)

    def check(self) -> CheckReport:
        return check_project(self.library())

    def lock(self) -> None:
        """Refresh prompts.lock, as `promptlib lock` does; the project must be lockable."""
        _, problems = update_lock(self.library())
        assert not problems, [str(p) for p in problems]

    def lock_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.read("prompts/prompts.lock"))
        return data


def run_promptlib(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process (what a CI job sees)."""
    return subprocess.run(
        [sys.executable, "-m", "promptlib.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
