"""Channels: where people reach cloudping (the HTTP API, and later MCP, Telegram, email, web).

A channel does transport -> parse -> run -> render -> reply and nothing else: it calls the
hub, never a probe (design.md "Shape").
"""
