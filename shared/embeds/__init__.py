"""Link previews: the URLs a message links to, fetched off the request path and shown as embeds."""
