"""The emulator's pictures behave like a model's: stable per prompt, different across prompts, partial
change for a one-word edit, legible quoted text, small sample-to-sample variation."""

from __future__ import annotations

import io
import itertools
import statistics

import pytest
from emulator_helpers import changed_fraction, phash_distance
from PIL import Image, ImageChops

from promptlib.emulator._layout import Variation
from promptlib.emulator._synthesis import ImageSpec, render, synthesize

UNRELATED = [
    "A red fox sitting in a snowy forest at dawn, watercolor",
    "Product photo of a ceramic coffee mug on a marble counter, soft daylight",
    "A lighthouse on a rocky cliff during a thunderstorm at night",
    "Isometric illustration of a tiny city with trains and parks",
    "Portrait of an astronaut cat wearing a helmet, studio lighting",
]
#: (prompt, index of the word to replace): content words that do not name the scene's setting.
ONE_WORD = [
    ("A red fox sitting in a snowy forest at dawn, watercolor", 1),
    ("A red fox sitting in a snowy forest at dawn, watercolor", 3),
    ("Product photo of a ceramic coffee mug on a marble counter, soft daylight", 4),
    ("Product photo of a ceramic coffee mug on a marble counter, soft daylight", 11),
    ("A lighthouse on a rocky cliff during a thunderstorm at night", 4),
    ("Isometric illustration of a tiny city with trains and parks", 7),
    ("Portrait of an astronaut cat wearing a helmet, studio lighting", 5),
    ("Portrait of an astronaut cat wearing a helmet, studio lighting", 7),
]


def _replace_word(prompt: str, index: int, word: str) -> str:
    words = prompt.split()
    words[index] = word
    return " ".join(words)


def test_same_request_gives_identical_bytes() -> None:
    spec = ImageSpec("A teapot shaped like a whale", width=1536, height=1024)
    assert synthesize(spec) == synthesize(spec)


def test_unrelated_prompts_look_unrelated_to_phash() -> None:
    images = [render(ImageSpec(prompt)) for prompt in UNRELATED]
    distances = [phash_distance(a, b) for a, b in itertools.combinations(images, 2)]
    assert min(distances) >= 16
    assert statistics.median(distances) >= 24


def test_one_word_change_repaints_only_part_of_the_image() -> None:
    fractions, distances = [], []
    for prompt, index in ONE_WORD:
        before = render(ImageSpec(prompt))
        after = render(ImageSpec(_replace_word(prompt, index, "violin")))
        fractions.append(changed_fraction(before, after))
        distances.append(phash_distance(before, after))
    unrelated = [render(ImageSpec(p)) for p in UNRELATED]
    unrelated_median = statistics.median(phash_distance(a, b) for a, b in itertools.combinations(unrelated, 2))
    assert all(0 < f < 0.6 for f in fractions), fractions
    assert statistics.median(fractions) < 0.35
    assert statistics.median(distances) < unrelated_median / 2


def test_scene_word_sets_the_palette_like_a_setting_would() -> None:
    day = render(ImageSpec("A tiny house by the lake at noon"), Variation())
    night = render(ImageSpec("A tiny house by the lake at night"), Variation())
    top_day = day.crop((0, 0, 1024, 200)).convert("L").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    top_night = night.crop((0, 0, 1024, 200)).convert("L").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(top_day, int) and isinstance(top_night, int)
    assert top_night < top_day - 60


def test_quoted_text_is_drawn_on_a_high_contrast_plate() -> None:
    prompt = 'A bakery storefront in spring. Leave space for the text "Summer Sale"'
    with_text = render(ImageSpec(prompt))
    other_text = render(ImageSpec(prompt.replace("Summer Sale", "Winter Deals")))
    # Only the plate differs between the two texts: the scene words are the same.
    diff_box = _difference_box(with_text, other_text)
    assert diff_box is not None
    left, _, right, bottom = diff_box
    assert bottom < with_text.height * 0.3, "the text sits in the top band"
    plate = with_text.crop(diff_box).convert("L")
    histogram = plate.histogram()
    dark, light = sum(histogram[:60]), sum(histogram[200:])
    total = plate.width * plate.height
    assert dark / total > 0.05, "dark glyph pixels"
    assert light / total > 0.4, "light plate pixels"
    assert (right - left) > with_text.width * 0.3, "large enough to read"


def test_long_quoted_text_wraps_inside_the_image() -> None:
    text = "Grand opening this Saturday with free coffee for everyone who brings a friend"
    image = render(ImageSpec(f'Shop window, "{text}"'))
    box = _difference_box(image, render(ImageSpec('Shop window, "x"')))
    assert box is not None
    assert box[0] >= 0 and box[2] <= image.width
    assert box[3] - box[1] > 150, "several lines"


def test_very_long_quoted_text_is_cut_to_a_readable_plate() -> None:
    image = render(ImageSpec('Poster, "' + "lorem ipsum dolor " * 500 + '"'))
    box = _difference_box(image, render(ImageSpec('Poster, "x"')))
    assert box is not None and box[3] < image.height * 0.45


def test_variance_zero_makes_every_sample_identical() -> None:
    spec = ImageSpec("A violin on a velvet chair")
    samples = {synthesize(spec, Variation(0.0, sample)) for sample in range(4)}
    assert len(samples) == 1


def test_variance_moves_samples_a_few_phash_bits_without_changing_the_subject() -> None:
    spec = ImageSpec("A violin on a velvet chair, warm light")
    samples = [render(spec, Variation(0.15, sample)) for sample in range(6)]
    distances = [phash_distance(a, b) for a, b in itertools.combinations(samples, 2)]
    other = render(ImageSpec("A bicycle leaning on a brick wall"))
    assert statistics.mean(distances) >= 1.5
    assert max(distances) <= 14
    assert min(phash_distance(s, other) for s in samples) > max(distances)
    assert len({s.tobytes() for s in samples}) == len(samples)


@pytest.mark.parametrize("size", [(1024, 1024), (1536, 1024), (1024, 1536)])
def test_sizes_including_non_square(size: tuple[int, int]) -> None:
    data = synthesize(ImageSpec("A kite over a hill", width=size[0], height=size[1]))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, image.mode) == ("PNG", size, "RGB")


def test_orientations_keep_the_same_composition() -> None:
    square = render(ImageSpec("A kite over a hill"))
    wide = render(ImageSpec("A kite over a hill", width=1536)).resize((1024, 1024))
    assert phash_distance(square, wide) <= 16


def test_transparent_background_has_real_alpha() -> None:
    data = synthesize(ImageSpec("Flat logo of a paper airplane", transparent=True))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.mode) == ("PNG", "RGBA")
    alpha = image.getchannel("A").histogram()
    total = image.width * image.height
    assert alpha[0] / total > 0.3, "mostly transparent background"
    assert alpha[255] / total > 0.05, "an opaque subject"


def test_jpeg_and_compression_as_quality() -> None:
    spec = ImageSpec("A kite over a hill", output_format="jpeg")
    best = synthesize(spec)
    small = synthesize(ImageSpec("A kite over a hill", output_format="jpeg", output_compression=20))
    assert Image.open(io.BytesIO(best)).format == "JPEG"
    assert len(small) < len(best) / 2
    reference = render(spec)
    assert phash_distance(Image.open(io.BytesIO(small)), reference) <= 4


def test_webp_keeps_transparency() -> None:
    data = synthesize(ImageSpec("Flat logo of a paper airplane", transparent=True, output_format="webp"))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.mode) == ("WEBP", "RGBA")


def test_quality_changes_detail_not_subject() -> None:
    low = render(ImageSpec("A kite over a hill", quality="low"))
    high = render(ImageSpec("A kite over a hill", quality="high"))
    assert low.tobytes() != high.tobytes()
    assert phash_distance(low, high) <= 12


def _difference_box(a: Image.Image, b: Image.Image) -> tuple[int, int, int, int] | None:
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L").point(lambda v: 255 if v > 8 else 0)
    return diff.getbbox()
