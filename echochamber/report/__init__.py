"""Renderers of the weekly report: text, HTML (Jinja2), a trend chart, the email message."""
