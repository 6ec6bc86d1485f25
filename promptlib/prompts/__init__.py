"""Templates as assets: the file format, variables, parameters, the sandbox, rendering, the lock, bundles."""
