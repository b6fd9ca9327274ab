"""Runs and sweeps in background processes, started and watched by the pages."""
