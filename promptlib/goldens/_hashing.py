"""The hash spec: decode once, flatten alpha, box-reduce, then four perceptual hashes.

Spec ``ih1`` (shared/reference/golden-image-regression.md §5.3): composite alpha onto
white (``convert('L')`` ignores alpha, so hidden RGB would move the hash), convert
to RGB, reduce by the integer factor ``min(w, h) // 256``, then pHash-8, dHash-8 and
wHash-8 of the grey image and colorhash-3 of the RGB one. About 5x cheaper than
hashing full-size images, and the same everywhere — hashes made with another spec
are never compared. Hashes are stored as hex with explicit bit counts and compared
as integers, never through ``hex_to_hash`` (which mangles colorhash).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

HASH_SPEC_ID = "ih1"
VOTING = ("phash", "dhash", "whash")
ALGORITHMS = (*VOTING, "colorhash")
BITS = {"phash": 64, "dhash": 64, "whash": 64, "colorhash": 42}
TARGET_SHORT_SIDE = 256
DEGENERATE_STD = 2.0


@dataclass(frozen=True)
class ImageFingerprint:
    """Everything the comparison needs from one image, computed from one decode."""

    sha256: str
    width: int
    height: int
    mode: str
    format: str
    hashes: dict[str, int]
    gray_std: float
    transparent: bool = False  # some pixel has alpha < 255

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": HASH_SPEC_ID,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "format": self.format,
            "hashes": self.hex(),
            "gray_std": self.gray_std,
            "transparent": self.transparent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageFingerprint:
        if data.get("spec") != HASH_SPEC_ID:
            raise ValueError("made with another hash spec")
        return cls(
            sha256=str(data["sha256"]),
            width=int(data["width"]),
            height=int(data["height"]),
            mode=str(data["mode"]),
            format=str(data["format"]),
            hashes=parse_hex(data["hashes"]),
            gray_std=float(data["gray_std"]),
            transparent=bool(data["transparent"]),
        )

    def hex(self) -> dict[str, str]:
        return {name: format(value, f"0{-(-BITS[name] // 4)}x") for name, value in self.hashes.items()}

    @property
    def degenerate_reason(self) -> str | None:
        """Why this image is blank/uniform (and would falsely match other blank images), if it is."""
        if self.gray_std < DEGENERATE_STD:
            return f"nearly uniform (pixel std {self.gray_std:.1f})"
        if self.hashes["phash"].bit_count() != BITS["phash"] // 2:
            return "flat image (pHash coefficients tie)"
        if self.hashes["dhash"] in (0, (1 << BITS["dhash"]) - 1):
            return "no gradients (dHash all equal)"
        return None


def distance(a: int, b: int) -> int:
    """Hamming distance of two hashes stored as integers."""
    return (a ^ b).bit_count()


def parse_hex(hashes: dict[str, str]) -> dict[str, int]:
    return {name: int(value, 16) for name, value in hashes.items()}


@cache
def spec() -> dict[str, Any]:
    """The spec as recorded in manifests and results, with the library versions it ran on."""
    from importlib.metadata import PackageNotFoundError, version

    libs = {}
    for package in ("imagehash", "pillow", "numpy", "scipy", "pywavelets"):
        try:
            libs[package] = version(package)
        except PackageNotFoundError:
            libs[package] = "missing"
    return {
        "id": HASH_SPEC_ID,
        "preprocess": ["flatten_alpha:#FFFFFF", "convert:RGB", f"box_reduce_to_min_side:{TARGET_SHORT_SIDE}"],
        "algorithms": {
            "phash": {"hash_size": 8},
            "dhash": {"hash_size": 8},
            "whash": {"hash_size": 8, "mode": "haar"},
            "colorhash": {"binbits": 3},
        },
        "bits": dict(BITS),
        "libs": libs,
    }


def preprocess(image: Any) -> Any:
    """The spec's reduced RGB image (public so tests can feed imagehash the same pixels)."""
    from PIL import Image

    if _has_alpha(image):
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))  # "over" onto white, in one pass
    else:
        rgb = image.convert("RGB")
    factor = max(1, min(rgb.size) // TARGET_SHORT_SIDE)
    return rgb.reduce(factor) if factor > 1 else rgb


def _has_alpha(image: Any) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _transparent(image: Any) -> bool:
    if not _has_alpha(image):
        return False
    low = image.convert("RGBA").getchannel("A").getextrema()[0]
    return bool(isinstance(low, int) and low < 255)


def fingerprint(data: bytes, sha256: str | None = None) -> ImageFingerprint:
    """Decode ``data`` once and compute the spec's hashes; raises ValueError if it is not an image.

    ``sha256``: the bytes' digest when the caller already has it (a sample knows its own), not computed again.
    """
    import imagehash
    import numpy
    from PIL import UnidentifiedImageError

    from promptlib.core._image_files import ImageRefused, open_checked

    try:
        with open_checked(data) as img:
            img.load()
            fmt, mode, (width, height) = str(img.format or "").lower(), img.mode, img.size
            reduced = preprocess(img)
            transparent = _transparent(img)
    except ImageRefused as exc:
        raise ValueError(f"the image {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__}: {exc})") from None
    gray = reduced.convert("L")
    hashes = {
        "phash": imagehash.phash(gray, hash_size=8),
        "dhash": imagehash.dhash(gray, hash_size=8),
        "whash": imagehash.whash(gray, hash_size=8, mode="haar"),
        "colorhash": imagehash.colorhash(reduced, binbits=3),
    }
    return ImageFingerprint(
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        mode=mode,
        format="jpeg" if fmt == "jpg" else fmt,
        hashes={name: int(str(value), 16) for name, value in hashes.items()},
        gray_std=float(numpy.asarray(gray, dtype=numpy.float32).std()),
        transparent=transparent,
    )
