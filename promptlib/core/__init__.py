"""Leaf utilities every stage uses: atomic writes, bounded reads, safe text, secrets, YAML, problems, images."""
