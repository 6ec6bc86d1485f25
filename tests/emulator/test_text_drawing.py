"""Specification of the emulator's printed text: the quoted string, in the face its sentence asks for, or
misprinted on demand (the `garble` fault), so a readable-text check has something to pass and to fail."""

from __future__ import annotations

import base64

import httpx
import pytest
from emulator_helpers import GENERATIONS
from PIL import Image, ImageChops, ImageDraw, ImageFont

from promptlib.emulator import EmulatorConfig, FaultConfig, create_app
from promptlib.emulator._fonts import FACES, face_for, font, printable_face
from promptlib.emulator._garble import garble, garbling
from promptlib.emulator._plates import draw_plates
from promptlib.emulator._prompt import parse_prompt
from promptlib.emulator._synthesis import ImageSpec, render, synthesize
from promptlib.text._match import TextExpectation, find_text
from promptlib.text._reading import Reading, TextLine

PROMPT = 'A ceramic kettle on a table. Leave clear space at the top for the text "20% off".'


@pytest.mark.parametrize(
    ("sentence", "face"),
    [
        ("the headline in a bold geometric sans-serif", "bold"),
        ("set in a clean sans-serif", "regular"),
        ("in a sans serif typeface", "regular"),
        ("an elegant serif typeface", "serif"),
        ("in a typewriter font", "mono"),
        ("a monospaced terminal look", "mono"),
        ("a bold serif headline", "serif"),
        ("printed in navy", "regular"),
    ],
)
def test_the_words_around_a_quote_choose_its_face(sentence: str, face: str) -> None:
    assert face_for(sentence) == face


def test_each_quote_takes_the_face_of_its_own_sentence() -> None:
    scene = parse_prompt('Headline "Big News" in a bold sans-serif. Under it, "read more" in a serif face.')
    assert scene.quotes == ("Big News", "read more")
    assert scene.faces == ("bold", "serif")


def test_text_aileron_cannot_print_falls_back_to_a_face_that_can() -> None:
    assert printable_face("regular", "Cafe") == "regular"
    assert printable_face("regular", "Café €4") == "sans"
    assert printable_face("serif", "Café €4") == "serif"


@pytest.mark.parametrize("face", FACES)
def test_every_face_prints_latin_text_without_missing_glyphs(face: str) -> None:
    """A glyph the font lacks is drawn as the same empty box; every character here has its own shape."""
    text = "Café Crème €5 Łódź ½ — “Smörgåsbord”"
    typeface = font(printable_face(face, text), 48)
    chars = set(text) - {" "}
    assert len({_drawn(typeface, char) for char in chars}) == len(chars)


def _drawn(typeface: ImageFont.FreeTypeFont, char: str) -> bytes:
    canvas = Image.new("L", (80, 80))
    ImageDraw.Draw(canvas).text((10, 10), char, font=typeface, fill=255)
    return canvas.tobytes()


def test_each_face_draws_differently() -> None:
    drawn = set()
    for face in FACES:
        canvas = Image.new("RGB", (512, 256), (90, 120, 200))
        draw_plates(canvas, ["20% off"], faces=[face])
        drawn.add(canvas.tobytes())
    assert len(drawn) == len(FACES)


def test_garble_misprints_deterministically_and_visibly() -> None:
    for text in ("20% off", "Northwind", "Free shipping over $50", "Go", "7"):
        misprint = garble(text)
        assert misprint == garble(text) and misprint.casefold() != text.casefold()
        reading = Reading("exact", 100, 100, (TextLine(misprint, ((0, 0), (1, 0), (1, 1), (0, 1)), 0.99),))
        assert not find_text(TextExpectation.of(text), reading).found, (text, misprint)


def test_garbling_changes_the_printed_text_and_nothing_else() -> None:
    spec = ImageSpec(prompt=PROMPT, width=512, height=512)
    with garbling():
        garbled = render(spec)
    changed = ImageChops.difference(render(spec), garbled).getbbox()
    assert changed is not None and changed[3] < 512 * 0.25
    no_text = ImageSpec(prompt="A ceramic kettle on a table", width=512, height=512)
    with garbling():
        assert synthesize(no_text) == synthesize(no_text)


@pytest.mark.anyio
async def test_the_garble_fault_answers_normally_with_misprinted_images() -> None:
    app = create_app(EmulatorConfig(faults=FaultConfig(script=("garble", "ok"))))
    body = {"prompt": PROMPT, "size": "1024x1024", "quality": "low", "n": 1}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:
        responses = [await client.post(GENERATIONS, json=body) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    images = [base64.b64decode(r.json()["data"][0]["b64_json"]) for r in responses]
    assert images[0] != images[1]
    assert [r.fault for r in app.requests] == ["garble", None]
    assert images[1] == synthesize(ImageSpec(prompt=PROMPT, quality="low"))


@pytest.fixture(scope="module")
def reader():  # type: ignore[no-untyped-def]
    pytest.importorskip("rapidocr")
    from promptlib.text._ocr import text_reader

    return text_reader()


@pytest.mark.parametrize(
    "prompt",
    [
        PROMPT,
        'A launch banner, headline "Trailblazer X2" in a bold sans-serif.',
        'A café menu board in a serif face: "Café Crème €4".',
        'A neon arcade sign saying "Game Over" in a monospace font.',
    ],
)
def test_ocr_reads_exactly_the_quoted_text_and_not_its_misprint(reader, prompt: str) -> None:  # type: ignore[no-untyped-def]
    (quote,) = parse_prompt(prompt).quotes
    spec = ImageSpec(prompt=prompt, width=1024, height=1024)
    match = find_text(TextExpectation.of(quote), reader.read(synthesize(spec)))
    assert match.found and match.similarity == 1.0, match.message()
    with garbling():
        misprinted = synthesize(spec)
    assert not find_text(TextExpectation.of(quote), reader.read(misprinted)).found
