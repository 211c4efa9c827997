"""The CLI channel: ``cloudping COMMAND ...`` run here or through a hub, as text or NDJSON."""
