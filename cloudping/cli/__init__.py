"""The command-line channel: ``cloudping COMMAND ...`` runs a command and prints its events."""
