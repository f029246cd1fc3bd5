"""Custom emoji items and their images in the attachments bucket."""
