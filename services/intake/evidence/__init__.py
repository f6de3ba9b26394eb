"""Evidence files: finding their type, removing metadata, sealed storage, and the HTTP API."""
