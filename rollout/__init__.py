"""Fibre rollout: providers, their plans, versions and per-address availability."""
