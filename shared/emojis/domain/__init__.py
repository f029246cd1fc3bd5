"""Custom emoji rules: names, images, limits (pure)."""
