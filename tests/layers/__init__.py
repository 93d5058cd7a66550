"""Tests of the layers app."""
