"""Shared fakes, fixtures and helpers of the tests (imported, never collected)."""
