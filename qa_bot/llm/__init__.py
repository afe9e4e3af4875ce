"""The LLM path: prompts, the OpenAI-compatible generator and the check of its claims."""
