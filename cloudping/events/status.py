"""How a measurement ends and what the store says of it: each status set defined once here.

``end.status`` is what the stream says at its end; a stored measurement's status is
``running`` until it is finished with the final status its end maps to. ``interrupted``: the
process running it stopped before its end (crash recovery marks such measurements).
"""

from __future__ import annotations

from typing import Literal, get_args

EndStatus = Literal["ok", "error", "cancelled", "interrupted"]
FinalStatus = Literal["done", "failed", "cancelled", "interrupted"]
MeasurementStatus = Literal["running", FinalStatus]

END_STATUSES: tuple[EndStatus, ...] = get_args(EndStatus)
FINAL_STATUSES: tuple[FinalStatus, ...] = get_args(FinalStatus)
# The stored status a stream's end leaves behind.
FINAL_OF_END: dict[EndStatus, FinalStatus] = {
    "ok": "done",
    "error": "failed",
    "cancelled": "cancelled",
    "interrupted": "interrupted",
}
