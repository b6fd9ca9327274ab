"""Pieces shared by several pages (formatting, map embedding, download buttons)."""
