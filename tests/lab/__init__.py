"""The network lab: namespaces, routers and faults for tests with real packets (root only)."""

from .nft import (
    NftTable,
    drop_tcp,
    drop_time_exceeded,
    drop_udp,
    random_loss,
    reject_admin_prohibited,
    reject_tcp_reset,
)
from .topology import (
    FAMILIES,
    REASON_NOT_ROOT,
    ROLES,
    ROUTERS,
    Family,
    Lab,
    LabCommandError,
    LabError,
    Role,
    cleanup_stale_labs,
    lab_available,
    list_namespaces,
    poll_until,
)

__all__ = [
    "FAMILIES",
    "REASON_NOT_ROOT",
    "ROLES",
    "ROUTERS",
    "Family",
    "Lab",
    "LabCommandError",
    "LabError",
    "NftTable",
    "Role",
    "cleanup_stale_labs",
    "drop_tcp",
    "drop_time_exceeded",
    "drop_udp",
    "lab_available",
    "list_namespaces",
    "poll_until",
    "random_loss",
    "reject_admin_prohibited",
    "reject_tcp_reset",
]
