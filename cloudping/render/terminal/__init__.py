"""The CLI's text: one line per event, as the Unix tool each command replaces prints it."""
