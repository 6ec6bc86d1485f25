"""Eval suites and cases, the runner, expectations, budgets, the result cache, check."""
