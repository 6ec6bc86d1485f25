"""Readable text in images: the OCR reader (optional extra `promptlib[ocr]`), its cache, and the matcher."""
