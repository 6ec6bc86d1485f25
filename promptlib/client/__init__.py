"""One HTTP client for every deployment kind: requests, auth, retries, limits, responses, prices, streams."""
