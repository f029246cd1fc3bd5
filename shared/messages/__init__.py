"""Messages: sending, reactions, pins, attachments and read state."""
