"""Pages for readers elsewhere: Telegram HTML, email HTML, and the plain text of both."""
