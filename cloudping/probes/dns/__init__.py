"""The ``dns`` probe: UDP, TCP, DoT and DoH questions, ``--trace``, answers as events."""
