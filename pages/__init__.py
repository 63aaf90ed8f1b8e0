"""Dash pages: each module registers one page and builds its layout; composition only."""
