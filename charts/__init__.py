"""Figures: `build_figure(spec, frame, theme) -> go.Figure`, one small pure function per widget type.

The Overview, dashboards and every export draw their charts through this package only.
"""
