"""promptlib: image-generation prompts as code."""
