"""The long-running processes and operator tools: ``cloudping up``, ``hub``, ``agent``, ``token``.

They assemble the pieces (the hub, its agent listeners, the command service, the channels);
nothing below them imports this package."""
