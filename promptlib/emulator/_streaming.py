"""`stream: true`: the answer as server-sent events, in the service's names, fields and order.

Each partial image is an `image_generation.partial_image` event (`image_edit.partial_image` for edits)
with its 0-based `partial_image_index`; the final image is one `*.completed` event carrying `usage`
(openai 3.57 `types/image_gen_partial_image_event.py`, `image_gen_completed_event.py` and the edit
counterparts; reference §9, §11). Partial events echo the requested settings, the completed event the
values they resolved to. Each partial image is encoded (in a worker thread) just before it is sent and every
event is its own chunk, so a served emulator sends each as soon as it is ready.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from functools import partial

import anyio.to_thread
from starlette.responses import StreamingResponse

from promptlib.emulator._produce import Produced, encoded_partial
from promptlib.emulator._validation import ImageParams, ImagesRoute

_PREFIX: dict[ImagesRoute, str] = {"generations": "image_generation", "edits": "image_edit"}


def sse(event: dict[str, object]) -> bytes:
    """One server-sent event: its `type` as the event name, the JSON object as its data."""
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


async def stream_events(
    operation: ImagesRoute, params: ImageParams, produced: Produced, usage: dict[str, object]
) -> AsyncIterator[dict[str, object]]:
    """The partial-image events, coarsest first, each encoded as its turn comes; then the completed event."""
    prefix = _PREFIX[operation]
    requested = {"background": params.background, "output_format": params.output_format,
                 "quality": params.quality, "size": params.size}  # fmt: skip
    if produced.preview is not None:
        for index in range(params.partial_images):
            data = await anyio.to_thread.run_sync(partial(encoded_partial, params, produced.preview, index))
            yield {"type": f"{prefix}.partial_image", "b64_json": _b64(data), "created_at": int(time.time()),
                   **requested, "partial_image_index": index}  # fmt: skip
    now = int(time.time())
    completed: dict[str, object] = {
        "type": f"{prefix}.completed", "b64_json": _b64(produced.images[0]), "created_at": now,
        "background": produced.background, "output_format": params.output_format,
        "quality": params.resolved_quality, "size": f"{produced.size[0]}x{produced.size[1]}", "usage": usage,
    }  # fmt: skip
    if params.safety_identifier:
        completed["safety_identifier"] = params.safety_identifier
    yield completed


def event_stream_response(events: AsyncIterator[dict[str, object]]) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        async for event in events:
            yield sse(event)

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
