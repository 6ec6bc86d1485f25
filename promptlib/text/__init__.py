"""Readable text in images: the OCR reader (optional extra `promptlib[ocr]`), its cache, and the matcher."""

from promptlib.text._cache import ReadingCache
from promptlib.text._match import TextExpectation, TextMatch, check_texts, find_text
from promptlib.text._ocr import OcrUnavailable, TextReader, text_reader
from promptlib.text._reading import Reading, TextLine

__all__ = [
    "OcrUnavailable",
    "Reading",
    "ReadingCache",
    "TextExpectation",
    "TextLine",
    "TextMatch",
    "TextReader",
    "check_texts",
    "find_text",
    "text_reader",
]
