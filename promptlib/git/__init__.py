"""Reading the project at a git revision without a checkout: refs, history, template diffs."""
