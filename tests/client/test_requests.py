"""ImageRequest.request_hash: the identity the cache and the goldens rely on.

Same prompt, parameters, input images, deployment, model and sample → same hash, in any process; anything
else that changes what the service is asked → a different hash; where the deployment lives and its key → never.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from deployments.helpers import (
    EDIT_TEMPLATE,
    azure_yaml,
    make_project,
    png,
)

from promptlib import Library
from promptlib.client._requests import ImageRequest
from promptlib.models._parameters import ImageParameters
from promptlib.prompts._rendered import InputImage

PHOTO = png((32, 32), (10, 20, 30))
MASK = png((32, 32), (0, 0, 0, 0), mode="RGBA")


def _request(**changes: Any) -> ImageRequest:
    base = ImageRequest(
        operation="edit",
        prompt="Replace the sky.",
        parameters=ImageParameters(size="1024x1024", quality="low", output_format="png"),
        deployment="dev",
        model="gpt-image-1.5",
        sample=0,
        images=(InputImage("photo", "image", PHOTO), InputImage("mask", "mask", MASK)),
    )
    return replace(base, **changes)


def test_identical_requests_have_one_hash() -> None:
    assert _request().request_hash == _request().request_hash
    assert len(_request().request_hash) == 64


def test_the_hash_is_the_same_in_another_process() -> None:
    script = (
        "from promptlib.client._requests import ImageRequest\n"
        "from promptlib.models._parameters import ImageParameters\n"
        "r = ImageRequest(operation='generate', prompt='A kite.', deployment='dev', model='gpt-image-1',\n"
        "    parameters=ImageParameters(size='1536x1024', quality='high', background='opaque', n=2))\n"
        "print(r.request_hash)\n"
    )
    parameters = ImageParameters(size="1536x1024", quality="high", background="opaque", n=2)
    here = ImageRequest(
        operation="generate", prompt="A kite.", deployment="dev", model="gpt-image-1", parameters=parameters
    )

    there = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()

    assert there == here.request_hash


@pytest.mark.parametrize(
    "changes",
    [
        {"prompt": "Replace the sky!"},
        {"parameters": ImageParameters(size="1536x1024", quality="low", output_format="png")},
        {"parameters": ImageParameters(size="1024x1024", quality="high", output_format="png")},
        {"parameters": ImageParameters(size="1024x1024", quality="low", output_format="jpeg")},
        {"parameters": ImageParameters(size="1024x1024", quality="low", output_format="png", n=2)},
        {"parameters": ImageParameters(size="1024x1024", quality="low", output_format="png", background="opaque")},
        {"parameters": ImageParameters(size="1024x1024", quality="low", output_format="png", input_fidelity="high")},
        {"images": (InputImage("photo", "image", png((32, 32), (10, 20, 31))), InputImage("mask", "mask", MASK))},
        {"images": (InputImage("photo", "image", PHOTO),)},
        {"images": (InputImage("photo", "image", PHOTO), InputImage("mask", "image", MASK))},
        {"deployment": "prod"},
        {"model": "gpt-image-1"},
        {"sample": 1},
        {"operation": "generate", "images": ()},
    ],
    ids=["prompt", "size", "quality", "format", "n", "background", "fidelity", "image-bytes", "no-mask",
         "mask-as-image", "deployment", "model", "sample", "operation"],
)  # fmt: skip
def test_anything_the_service_is_asked_changes_the_hash(changes: dict[str, Any]) -> None:
    assert _request(**changes).request_hash != _request().request_hash


def test_where_the_image_came_from_does_not_matter_only_its_bytes() -> None:
    from_path = InputImage("photo", "image", PHOTO, path=Path("assets/photo.png"))
    renamed = InputImage("picture", "image", PHOTO, path=Path("elsewhere/p.png"))

    assert _request(images=(from_path,)).request_hash == _request(images=(renamed,)).request_hash


def test_endpoint_and_key_never_enter_the_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"a": "first-secret-key-111", "b": "second-secret-key-222"}
    hashes = {}
    for label, endpoint in (("a", "https://east.openai.azure.com"), ("b", "https://west.openai.azure.com")):
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", keys[label])
        project = make_project(tmp_path / label, azure_yaml("dev", endpoint=endpoint, deployment=f"img-{label}"))
        _, request = request_for(Library.load(project), "tile", {"subject": "a kite"}, "dev")
        canonical = json.dumps(request.canonical())
        assert keys[label] not in canonical
        assert "openai.azure.com" not in canonical
        assert f"img-{label}" not in canonical  # the Azure deployment name is where it lives, not what it is
        hashes[label] = request.request_hash

    assert hashes["a"] == hashes["b"]


def test_rendered_templates_hash_by_content(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir(parents=True)
    (tmp_path / "in" / "photo.png").write_bytes(PHOTO)
    (tmp_path / "in" / "mask.png").write_bytes(MASK)
    library = Library.load(make_project(tmp_path, "", {"edit": EDIT_TEMPLATE}))

    by_path = request_for(library, "edit", {"photo": "in/photo.png", "mask": "in/mask.png"}, None)[1]
    by_bytes = request_for(library, "edit", {"photo": PHOTO, "mask": MASK}, None)[1]
    other = request_for(library, "edit", {"photo": png((32, 32), (99, 20, 30)), "mask": MASK}, None)[1]

    assert by_path.request_hash == by_bytes.request_hash
    assert other.request_hash != by_path.request_hash
    assert by_path.deployment == "local"
    assert by_path.model == "gpt-image-2"


def request_for(library: Library, template_id: str, variables: dict, deployment: str | None) -> tuple:
    """The client and request `Library.generate` would use."""
    return library.clients.request_for(library.render(template_id, **variables), deployment)
