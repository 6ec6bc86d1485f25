"""promptlib.yaml: project settings, deployments by reference, the trust boundary, and `init`."""
