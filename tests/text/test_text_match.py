"""Specification of text matching: OCR's noise passes, a model's misprints do not (see `_text_match`)."""

from __future__ import annotations

import pytest

from promptlib.text._match import TextExpectation, check_texts, find_text, normalise

FOUND = [
    # (expected, what was read, why it counts as found)
    ("20% off", ["20% off"], "exactly"),
    ("20% off", ["20% OFF"], "case does not matter"),
    ("20% off", ["20 %  off"], "spaces do not matter"),
    ("20% off", ["20%off"], "a dropped space does not matter"),
    ("Northwind", ["Northwind Coffee Roasters"], "a part of a line, at word boundaries"),
    ("Coffee", ["NorthwindCoffee"], "a word run into the previous one (lower to upper case is a boundary)"),
    ("Free shipping over $50", ["Free shipping", "over $50"], "text wrapped onto two lines"),
    ("Illuminate", ["llluminate"], "capital I and lower-case l are one glyph in sans-serif type"),
    ("Margie's Travel", ["Margie’s Travel"], "typographic apostrophes are apostrophes"),
    ("Hello, world!", ["Hello world!"], "light punctuation costs half: half in 11 characters is 0.955"),
    ("Spring collection 2026", ["Spring colection 2026"], "one wrong character in 20 is within the default 0.95"),
    ("Order by 5 PM", ["Order ● ■ by 5 PM"], "specks of the background read as shapes are ignored"),
    ("Open 24/7", ["Opening hours", "Open 24/7"], "the best of several lines"),
]

NOT_FOUND = [
    # (expected, what was read, the message)
    ("20% off", ["20% of"], "text '20% off' not found; read '20% of'"),
    ("20% off", ["30% off"], "text '20% off' not found; read '30% off'"),
    ("20% off", ["2O% of"], "text '20% off' not found; read '2O% of'"),
    ("20% off", ["2O% off"], "text '20% off' not found; read '2O% off'"),
    ("20% of", ["20% off"], "text '20% of' not found; read '20% off'"),
    ("Northwind", ["Nortwind"], "text 'Northwind' not found; read 'Nortwind'"),
    ("Modern", ["Modem"], "text 'Modern' not found; read 'Modem'"),
    ("Hello, world!", ["Hello world"], "text 'Hello, world!' not found; read 'Hello world'"),
    (
        "Free shipping over $50",
        ["Free shiping over $50"],
        "text 'Free shipping over $50' not found; read 'Free shiping over $50'",
    ),
    ("20% off", [], "text '20% off' not found; no similar text read"),
    ("Contoso", ["Pour slower."], "text 'Contoso' not found; no similar text read"),  # not "read 'Pour'"
]


@pytest.mark.parametrize(("expected", "lines", "why"), FOUND)
def test_found(read_as, expected, lines, why) -> None:
    match = find_text(TextExpectation.of(expected), read_as(*lines))
    assert match.found, f"{why}: {match.message()}"


@pytest.mark.parametrize(("expected", "lines", "message"), NOT_FOUND)
def test_not_found_says_what_was_read(read_as, expected, lines, message) -> None:
    match = find_text(TextExpectation.of(expected), read_as(*lines))
    assert not match.found
    assert match.message() == message


@pytest.mark.parametrize(
    ("expected", "read", "unsure_at"),
    [
        ("20% off", "2O% off", (1,)),  # O read hesitantly where 0 was printed
        ("Modern", "Modem", (4,)),  # rn run together into m
        ("Call 555-0199", "Call S55-0l99", (5, 10)),
        ("Café Crème", "Cafe Creme", (3, 7)),  # accents lost
    ],
)
def test_a_confusable_passes_only_when_the_engine_was_unsure_of_it(read_as, unsure, expected, read, unsure_at) -> None:
    assert find_text(TextExpectation.of(expected), read_as(unsure(read, *unsure_at))).found
    assert not find_text(TextExpectation.of(expected), read_as(read)).found


def test_an_unsure_character_that_is_no_confusable_is_still_wrong(read_as, unsure) -> None:
    assert not find_text(TextExpectation.of("20% off"), read_as(unsure("30% off", 0))).found


def test_min_similarity_sets_the_tolerance(read_as) -> None:
    reading = read_as("Spring colection 2026")
    assert find_text(TextExpectation.of("Spring collection 2026"), reading).found
    assert not find_text(TextExpectation.of("Spring collection 2026", 1.0), reading).found
    assert find_text(TextExpectation.of("Northwind", 0.85), read_as("Nortwind")).found
    assert find_text(TextExpectation.of("Hello, world!", 0.9), read_as("Hello world")).found


def test_any_of_is_met_by_any_alternative_and_reports_that_one(read_as) -> None:
    match = find_text(TextExpectation.of(["20% off", "Save 20%"]), read_as("Save 20% today"))
    assert match.found and match.expected == "Save 20%" and match.read == "Save 20%"
    miss = find_text(TextExpectation.of(["20% off", "Save 20%"]), read_as("Save 30% today"))
    assert miss.message() == "text '20% off' or 'Save 20%' not found; read 'Save 30%'"


def test_a_match_reports_the_boxes_of_the_lines_it_spans(read_as) -> None:
    reading = read_as("Free shipping", "over $50", "Contoso")
    match = find_text(TextExpectation.of("Free shipping over $50"), reading)
    assert match.boxes == (reading.lines[0].box, reading.lines[1].box)
    assert match.read == "Free shipping over $50"
    assert "found as 'Free shipping over $50' (1.00)" in match.message()


def test_lines_are_read_top_to_bottom_then_left_to_right(read_as) -> None:
    reading = read_as(("over $50", [0.99] * 8, (400, 160)), ("shipping", [0.99] * 8, (300, 100)),
                      ("Free", [0.99] * 4, (100, 102)))  # fmt: skip
    assert reading.text == "Free\nshipping\nover $50"
    assert find_text(TextExpectation.of("Free shipping over $50"), reading).found


def test_check_texts_answers_every_expectation(read_as) -> None:
    reading = read_as("Northwind", "20% of")
    matches = check_texts([TextExpectation.of("Northwind"), TextExpectation.of("20% off")], reading)
    assert [m.found for m in matches] == [True, False]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("20% OFF", "20%off"),
        ("Margie’s — Travel", "margie's-travel"),
        ("Illuminate", "llluminate"),
        ("ILLUMINATE", "lllumlnate"),
        ("ﬁne", "fine"),
    ],
)
def test_normalise(text, normalised) -> None:
    assert normalise(text) == normalised


@pytest.mark.parametrize(("any_of", "min_similarity"), [((), 0.9), (("  ",), 0.9), (("a",), 0.0), (("a",), 1.5)])
def test_a_bad_expectation_is_refused(any_of, min_similarity) -> None:
    with pytest.raises(ValueError):
        TextExpectation(any_of, min_similarity)
