"""The sweep engine behind ``scan``: a pure pacer, plan and range arithmetic, and one thin
transport per protocol (ICMP on the shared endpoint, UDP with ``IP_RECVERR``, TCP connect)."""
