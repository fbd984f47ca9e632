"""Renderers: one per output format, each owning its escaping and citation style."""
