"""Reviewing a run: the queue of what changed, each case beside its goldens, and decisions that write goldens.

The Review page of the web app and `promptlib review` are faces over these plain functions; decisions go through
`promptlib.goldens` (the code `promptlib approve` and `reject` run), never a second implementation.
"""
