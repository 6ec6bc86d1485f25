"""The emulator's settings: what a user chooses when starting one (all of it safe to print except the key)."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlib.emulator._faults import FaultConfig


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance behaves.

    - `api_key`: when set, every request must present it (`api-key` header or `Authorization: Bearer`).
    - `variance`: how much repeated samples of one prompt differ (0 = identical; 0.15 ≈ a real model's
      few-bit pHash spread).
    - `seed`: makes the sequence of sample variants reproducible; `None` draws a fresh one per instance.
    - `block`: terms (words or phrases, case-insensitive) the emulated safety system refuses.
    - `model`: the model the emulated deployment serves (only gpt-image-1-mini changes behaviour:
      it refuses `input_fidelity`).
    - `faults`: latency, injected errors and an enforced RPM limit (`FaultConfig`); `seed` also makes the
      faults reproducible.
    """

    api_key: str | None = field(default=None, repr=False)
    variance: float = 0.0
    seed: int | None = None
    block: tuple[str, ...] = ()
    model: str = "gpt-image-1.5"
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        if not self.variance >= 0:
            raise ValueError(f"variance must be >= 0, got {self.variance!r}")
        if any(not term.strip() for term in self.block):
            raise ValueError("blocked terms must not be empty")
        if self.api_key is not None and not self.api_key:
            raise ValueError("api_key must be None (no auth) or a non-empty string")
