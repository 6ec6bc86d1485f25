"""The model capability table: what each GPT Image model accepts, costs and when it retires (data, not types)."""
