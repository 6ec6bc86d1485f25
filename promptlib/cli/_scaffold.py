"""``promptlib init``: a working project in an existing repository, in one command.

Everything it writes passes ``promptlib check`` straight away, so the first
thing a new user sees is green, and each file shows the format by example.
"""

from __future__ import annotations

from pathlib import Path

from promptlib._library import Library
from promptlib.cli._schema import write_schemas
from promptlib.config._settings import CONFIG_FILE
from promptlib.core._atomic import atomic_write_text
from promptlib.exceptions import PromptlibError, UsageError
from promptlib.prompts._lock import LockEntry, lock_path, write_lock

SCHEMA_DIR = "schemas"

_CONFIG = """\
# yaml-language-server: $schema=schemas/config.schema.json
prompts: prompts
evals: evals
default_deployment: local          # PROMPTLIB_DEPLOYMENT or --deployment override it
deployments:
  local:
    kind: emulator                 # built-in, in-process, no network, no key
    variance: 0.2                  # repeated samples differ a little, as a real model's do
  # dev:
  #   kind: azure-openai
  #   endpoint: ${env:AZURE_OPENAI_ENDPOINT}
  #   deployment: gpt-image-2-dev
  #   model: gpt-image-2                 # any model: `promptlib models` lists what promptlib knows
  #   auth: {type: api-key, env: AZURE_OPENAI_API_KEY}   # or {type: entra}
  #   max_concurrency: 4
  #   requests_per_minute: 6
"""

_PARTIAL = "Shot in the house style: soft daylight, generous negative space, no text unless asked.\n"

_TEMPLATE = """\
# yaml-language-server: $schema=../../schemas/template.schema.json
version: 1
description: A product shot in the house style.
owners: [your-team]
operation: generate
variables:
  product:
    type: string
    max_length: 80
    description: The product as it should appear.
  mood:
    type: enum
    values: [calm, bold]
    default: calm
parameters:
  size: 1024x1024
  quality: medium
  output_format: png
template: |
  A {{ mood }} studio photograph of {{ product }} on a plain backdrop.
  {% include "house-style.j2" %}
examples:
  - name: mug
    variables: {product: a white ceramic mug}
"""

_SUITE = """\
# yaml-language-server: $schema=../schemas/suite.schema.json
deployment: local
samples: 3
policy: {min_matches: 2, max_samples: 5}
cases:
  - from_examples: example/product-shot
"""


def init_project(directory: Path) -> list[Path]:
    """Write the starter files into ``directory``; refuse to overwrite an existing project."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / CONFIG_FILE
    if config.exists():
        raise UsageError(f"{config} already exists; this directory is already a promptlib project")
    files = {
        config: _CONFIG,
        directory / "prompts" / "partials" / "house-style.j2": _PARTIAL,
        directory / "prompts" / "example" / "product-shot.yaml": _TEMPLATE,
        directory / "evals" / "example.yaml": _SUITE,
    }
    for path, text in files.items():
        if not path.exists():
            atomic_write_text(path, text)
    written = list(files)
    written += write_schemas(directory / SCHEMA_DIR)
    written.append(_ignore_state(directory))
    library = Library.load(directory)
    write_lock(lock_path(library.prompts_dir), _loadable(library))
    written.append(lock_path(library.prompts_dir))
    return written


def _loadable(library: Library) -> dict[str, LockEntry]:
    """Lock entries for the templates that load; ones already in the repo may be broken, and
    `promptlib check` (the suggested next step) reports those instead of init failing half-way."""
    current = {}
    for template_id in library.ids():
        try:
            template = library.get(template_id)
        except PromptlibError:
            continue
        current[template_id] = LockEntry(template.version, template.content_hash)
    return current


def _ignore_state(directory: Path) -> Path:
    gitignore = directory / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if ".promptlib/" not in existing.splitlines():
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        atomic_write_text(gitignore, existing + prefix + ".promptlib/\n")
    return gitignore
