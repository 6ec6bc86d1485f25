"""The emulator's settings: what a user chooses when starting one (all of it safe to print except the key)."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlib.emulator._faults import FaultConfig
from promptlib.models._table import ModelSpec, shipped_table


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance behaves.

    - `api_key`: when set, every request must present it (`api-key` header or `Authorization: Bearer`).
    - `variance`: how much repeated samples of one prompt differ (0 = identical; 0.15 ≈ a real model's
      few-bit pHash spread).
    - `seed`: makes the sequence of sample variants reproducible; `None` draws a fresh one per instance.
    - `block`: terms (words or phrases, case-insensitive) the emulated safety system refuses.
    - `model`: the model the emulated deployment serves: its sizes, qualities, formats, streaming, edit
      limits and token counts come from promptlib's model table (`promptlib models`); a model the table
      does not know gets the wire rules.
    - `capabilities`: that model's entry as a project sees it (with its `models:`); default: the table's.
    - `faults`: latency, injected errors and an enforced RPM limit (`FaultConfig`); `seed` also makes the
      faults reproducible.
    """

    api_key: str | None = field(default=None, repr=False)
    variance: float = 0.0
    seed: int | None = None
    block: tuple[str, ...] = ()
    model: str = "gpt-image-2"
    faults: FaultConfig = field(default_factory=FaultConfig)
    capabilities: ModelSpec | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.variance >= 0:
            raise ValueError(f"variance must be >= 0, got {self.variance!r}")
        if any(not term.strip() for term in self.block):
            raise ValueError("blocked terms must not be empty")
        if self.api_key is not None and not self.api_key:
            raise ValueError("api_key must be None (no auth) or a non-empty string")

    @property
    def spec(self) -> ModelSpec | None:
        """What the claimed model accepts (None: a model the table does not know)."""
        return self.capabilities if self.capabilities is not None else shipped_table().get(self.model)
