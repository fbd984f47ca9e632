"""Answerers: extractive (default, no LLM) and LLM (optional), with quote verification."""
