"""Helpers the tests share: real local servers and a small API client."""
