"""Custom guild emoji: upload, rename, delete, and the images they show."""
