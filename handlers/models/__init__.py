"""Pydantic models for what the system stores and what callers send."""
