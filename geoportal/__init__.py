"""Glasfaserportal: the project package (settings, urls, shared helpers)."""
