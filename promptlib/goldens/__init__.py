"""Golden images: the hash spec, comparison and calibration, the store, approve and reject."""
