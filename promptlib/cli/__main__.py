"""`python -m promptlib.cli`: the same as the `promptlib` command."""

from promptlib.cli import main

main()
