"""Renderers: an Answer or a Briefing as Markdown, HTML, plain text or Slack Block Kit.

Each format is one module with its own ``escape`` function; :mod:`assistant.render.cite`
is the one place that decides how a source is named and which sources an answer lists.
"""
