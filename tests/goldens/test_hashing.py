"""Hash spec ih1: what a golden's hashes are, so they can be trusted across runs, machines and reviews.

The spec's hashes are imagehash's own functions applied to one preprocessed image (alpha flattened onto
white, box-reduced to ~256 px on the short side); distances are integer Hamming distances; hashes round-trip
through hex with explicit bit counts (colorhash is 42 bits, which imagehash's own hex parser gets wrong);
blank and uniform output is flagged as degenerate instead of "matching" other blank images.
"""

from __future__ import annotations

import hashlib
import io
import random
from functools import cache
from importlib.metadata import version

import imagehash
import pytest
from PIL import Image, ImageDraw

from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, synthesize
from promptlib.goldens._hashing import (
    ALGORITHMS,
    BITS,
    HASH_SPEC_ID,
    distance,
    fingerprint,
    parse_hex,
    preprocess,
    spec,
)

PROMPTS = (
    "A flat vector logo of a paper crane folded from a triangle, teal and sand",
    "A glossy product photograph of a matte green kettle on a breakfast table at sunrise",
    "An app icon of a closed padlock on a soft sand tile, navy outline, coral fill",
)


@cache
def emulator_image(
    prompt: str, width: int = 1024, height: int = 1024, fmt: str = "png", transparent: bool = False, sample: int = 0
) -> bytes:
    spec_ = ImageSpec(
        prompt=prompt, width=width, height=height, quality="low", transparent=transparent, output_format=fmt
    )  # type: ignore[arg-type]
    return synthesize(spec_, Variation(0.1, sample))


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def imagehash_of(data: bytes) -> dict[str, imagehash.ImageHash]:
    """imagehash's own functions on the spec's preprocessed image (the reference the spec must equal)."""
    with Image.open(io.BytesIO(data)) as img:
        reduced = preprocess(img)
    return {
        "phash": imagehash.phash(reduced, hash_size=8),
        "dhash": imagehash.dhash(reduced, hash_size=8),
        "whash": imagehash.whash(reduced, hash_size=8, mode="haar"),
        "colorhash": imagehash.colorhash(reduced, binbits=3),
    }


def logo_on(background: Image.Image) -> Image.Image:
    """An opaque subject drawn over ``background`` (whose pixels may be fully transparent)."""
    image = background.copy()
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 120, 400, 400), fill=(20, 40, 90, 255))
    draw.rectangle((200, 60, 330, 250), fill=(240, 110, 80, 255))
    draw.polygon([(60, 460), (256, 300), (460, 460)], fill=(40, 150, 140, 255))
    return image


def noise_under_transparency(size: tuple[int, int], seed: int) -> Image.Image:
    """Fully transparent pixels whose hidden RGB is random (what some encoders leave behind)."""
    r = random.Random(seed)
    pixels = bytes(
        b for _ in range(size[0] * size[1]) for b in (r.randrange(256), r.randrange(256), r.randrange(256), 0)
    )
    return Image.frombytes("RGBA", size, pixels)


IMAGES = {
    "square png": lambda: emulator_image(PROMPTS[0]),
    "landscape jpeg": lambda: emulator_image(PROMPTS[1], 1536, 1024, "jpeg"),
    "portrait png": lambda: emulator_image(PROMPTS[2], 1024, 1536),
    "transparent png": lambda: emulator_image(PROMPTS[0], transparent=True),
    "small, not reduced": lambda: encode(Image.open(io.BytesIO(emulator_image(PROMPTS[2]))).resize((300, 200))),
    "odd non-square": lambda: encode(Image.open(io.BytesIO(emulator_image(PROMPTS[1]))).resize((700, 530))),
    "palette with transparency": lambda: encode(logo_on(Image.new("RGBA", (512, 512), (0, 0, 0, 0))).quantize(16)),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_hashes_are_imagehash_own_functions_on_the_preprocessed_image(name: str) -> None:
    data = IMAGES[name]()
    fp = fingerprint(data)
    reference = imagehash_of(data)
    assert fp.hex() == {alg: str(value) for alg, value in reference.items()}
    assert fp.hashes == {alg: int(str(value), 16) for alg, value in reference.items()}
    assert all(len(reference[alg]) == BITS[alg] for alg in ALGORITHMS)


@pytest.mark.parametrize(
    ("size", "reduced"),
    [
        ((1024, 1024), (256, 256)),
        ((1536, 1024), (384, 256)),
        ((1024, 1536), (256, 384)),
        ((700, 530), (350, 265)),
        ((300, 200), (300, 200)),
        ((120, 90), (120, 90)),
    ],
)
def test_preprocess_box_reduces_by_an_integer_factor_and_keeps_the_aspect(
    size: tuple[int, int], reduced: tuple[int, int]
) -> None:
    image = preprocess(Image.new("RGB", size, (10, 20, 30)))
    assert image.size == reduced
    assert image.mode == "RGB"


def test_non_square_images_record_their_size_format_and_mode() -> None:
    landscape = fingerprint(emulator_image(PROMPTS[1], 1536, 1024, "jpeg"))
    portrait = fingerprint(emulator_image(PROMPTS[2], 1024, 1536))
    assert (landscape.width, landscape.height, landscape.format, landscape.mode) == (1536, 1024, "jpeg", "RGB")
    assert (portrait.width, portrait.height, portrait.format, portrait.mode) == (1024, 1536, "png", "RGB")
    assert landscape.degenerate_reason is None and portrait.degenerate_reason is None
    assert all(value < 1 << BITS[alg] for alg, value in landscape.hashes.items())


def test_alpha_is_flattened_onto_white_so_hidden_rgb_never_moves_the_hash() -> None:
    clean = encode(logo_on(Image.new("RGBA", (512, 512), (0, 0, 0, 0))))
    noisy = encode(logo_on(noise_under_transparency((512, 512), seed=1)))
    noisier = encode(logo_on(noise_under_transparency((512, 512), seed=2)))
    on_white = encode(logo_on(Image.new("RGBA", (512, 512), (255, 255, 255, 255))).convert("RGB"))

    hashes = [fingerprint(data).hashes for data in (clean, noisy, noisier, on_white)]
    assert hashes[0] == hashes[1] == hashes[2] == hashes[3]
    # Teeth: imagehash on the raw RGBA (convert('L') drops alpha) is moved by the hidden pixels.
    with Image.open(io.BytesIO(clean)) as a, Image.open(io.BytesIO(noisy)) as b:
        assert imagehash.phash(a) - imagehash.phash(b) > 0


def test_alpha_flattening_covers_la_and_palette_transparency() -> None:
    subject = logo_on(Image.new("RGBA", (256, 256), (0, 0, 0, 0)))
    white = fingerprint(encode(logo_on(Image.new("RGBA", (256, 256), (255, 255, 255, 255))).convert("RGB")))
    palette = fingerprint(encode(subject.quantize(16)))
    grey_alpha = fingerprint(encode(subject.convert("LA")))
    grey_white = fingerprint(encode(logo_on(Image.new("RGBA", (256, 256), (255, 255, 255, 255))).convert("L")))
    assert palette.hashes["phash"] == white.hashes["phash"]
    assert grey_alpha.hashes == grey_white.hashes


def test_transparent_emulator_logo_hashes_like_the_same_logo_on_white() -> None:
    data = emulator_image(PROMPTS[0], transparent=True)
    with Image.open(io.BytesIO(data)) as img:
        assert img.mode == "RGBA"
        flattened = Image.new("RGBA", img.size, (255, 255, 255, 255))
        flattened.alpha_composite(img.convert("RGBA"))
    assert fingerprint(data).hashes == fingerprint(encode(flattened.convert("RGB"))).hashes


def _near_uniform() -> bytes:
    r = random.Random(3)
    image = Image.new("L", (512, 512))
    image.putdata([128 + r.choice((-1, 0, 1)) for _ in range(512 * 512)])
    return encode(image)


def _faint_gradient() -> bytes:
    image = Image.linear_gradient("L").resize((512, 512)).point(lambda v: 120 + v // 64)
    return encode(image)


DEGENERATE = {
    "blank white": lambda: encode(Image.new("RGB", (1024, 1024), "white")),
    "black": lambda: encode(Image.new("RGB", (1024, 1024), "black")),
    "uniform colour": lambda: encode(Image.new("RGB", (1536, 1024), (200, 30, 90))),
    "uniform jpeg": lambda: encode(Image.new("RGB", (1024, 1536), (90, 140, 200)), "JPEG"),
    "fully transparent": lambda: encode(Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))),
    "near-uniform noise": _near_uniform,
    "faint gradient": _faint_gradient,
}


@pytest.mark.parametrize("name", list(DEGENERATE))
def test_blank_uniform_and_near_uniform_images_are_degenerate(name: str) -> None:
    assert fingerprint(DEGENERATE[name]()).degenerate_reason


def test_flat_images_would_otherwise_match_each_other() -> None:
    white, black = (fingerprint(DEGENERATE[name]()) for name in ("blank white", "black"))
    assert all(distance(white.hashes[alg], black.hashes[alg]) <= 8 for alg in ("phash", "dhash", "whash"))


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
@pytest.mark.parametrize("prompt", PROMPTS)
def test_normal_emulator_images_are_not_degenerate(prompt: str, fmt: str) -> None:
    fp = fingerprint(emulator_image(prompt, 1536, 1024, fmt))
    assert fp.degenerate_reason is None
    assert fp.hashes["phash"].bit_count() == 32


def test_distance_is_the_integer_hamming_distance_imagehash_reports() -> None:
    images = [emulator_image(p) for p in PROMPTS] + [emulator_image(PROMPTS[0], sample=1)]
    prints = [fingerprint(data) for data in images]
    references = [imagehash_of(data) for data in images]
    for i in range(len(images)):
        for j in range(len(images)):
            for alg in ALGORITHMS:
                d = distance(prints[i].hashes[alg], prints[j].hashes[alg])
                assert type(d) is int
                assert d == references[i][alg] - references[j][alg]
                assert d == distance(prints[j].hashes[alg], prints[i].hashes[alg])
                assert (d == 0) if i == j else d >= 0
            assert distance(prints[i].hashes["phash"], prints[j].hashes["phash"]) % 2 == 0  # pHash: always even


def test_a_second_sample_of_one_prompt_is_near_and_another_prompt_is_far() -> None:
    first, second = (fingerprint(emulator_image(PROMPTS[2], sample=s)) for s in (0, 1))
    other = fingerprint(emulator_image(PROMPTS[1]))
    assert distance(first.hashes["phash"], second.hashes["phash"]) <= 10
    assert distance(first.hashes["phash"], other.hashes["phash"]) >= 16


def test_hex_round_trips_with_explicit_bit_counts() -> None:
    fp = fingerprint(emulator_image(PROMPTS[1]))
    hexes = fp.hex()
    assert {alg: len(value) for alg, value in hexes.items()} == {"phash": 16, "dhash": 16, "whash": 16, "colorhash": 11}
    assert parse_hex(hexes) == fp.hashes
    assert spec()["bits"] == {"phash": 64, "dhash": 64, "whash": 64, "colorhash": 42}


def test_colorhash_is_42_bits_which_imagehash_hex_to_hash_gets_wrong() -> None:
    data = emulator_image(PROMPTS[1])
    fp = fingerprint(data)
    reference = imagehash_of(data)["colorhash"]
    assert reference.hash.shape == (14, 3)
    try:  # the trap the spec avoids: a square shape is assumed, so 42 bits come back mangled or not at all
        mangled = imagehash.hex_to_hash(fp.hex()["colorhash"])
    except ValueError:
        pass
    else:
        assert mangled.hash.size != 42
    assert imagehash.hex_to_flathash(fp.hex()["colorhash"], 3) == reference
    assert int(fp.hex()["colorhash"], 16) == fp.hashes["colorhash"]


@pytest.mark.parametrize("value", [0, 1, (1 << 41) | 5, (1 << 42) - 1])
def test_colorhash_extremes_round_trip_through_hex(value: int) -> None:
    from promptlib.goldens._hashing import ImageFingerprint

    fp = ImageFingerprint(
        "0" * 64, 1, 1, "RGB", "png", {"phash": 1 << 63, "dhash": 0, "whash": 7, "colorhash": value}, 10.0
    )
    hexes = fp.hex()
    assert len(hexes["colorhash"]) == 11 and len(hexes["phash"]) == 16
    assert parse_hex(hexes) == fp.hashes


def test_fingerprint_records_the_sha256_of_the_exact_bytes() -> None:
    data = emulator_image(PROMPTS[0])
    assert fingerprint(data).sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as img:
        reencoded = encode(img, compress_level=9)
    again = fingerprint(reencoded)
    assert again.sha256 != fingerprint(data).sha256
    assert again.hashes == fingerprint(data).hashes


@pytest.mark.parametrize(
    "data", [b"", b"not an image", emulator_image(PROMPTS[0])[:2000]], ids=["empty", "text", "truncated png"]
)
def test_unreadable_bytes_raise_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a readable image"):
        fingerprint(data)


def test_spec_records_its_id_steps_and_library_versions() -> None:
    recorded = spec()
    assert recorded["id"] == HASH_SPEC_ID == "ih1"
    assert recorded["preprocess"] == ["flatten_alpha:#FFFFFF", "convert:RGB", "box_reduce_to_min_side:256"]
    assert recorded["algorithms"]["whash"] == {"hash_size": 8, "mode": "haar"}
    assert recorded["algorithms"]["colorhash"] == {"binbits": 3}
    assert recorded["libs"]["imagehash"] == version("imagehash")
    assert recorded["libs"]["pillow"] == version("pillow")
    assert set(recorded["libs"]) == {"imagehash", "pillow", "numpy", "scipy", "pywavelets"}
