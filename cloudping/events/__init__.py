"""Events: the one stream every probe emits and every channel renders."""

from cloudping.events.codec import from_dict, published_schema, to_dict, to_json_line
from cloudping.events.model import (
    Emit,
    EndEvent,
    ErrorEvent,
    Event,
    MeasurementEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    SummaryEvent,
    TimeoutEvent,
)

__all__ = [
    "Emit",
    "EndEvent",
    "ErrorEvent",
    "Event",
    "MeasurementEvent",
    "PingSummaryEvent",
    "ReplyEvent",
    "StartEvent",
    "SummaryEvent",
    "TimeoutEvent",
    "from_dict",
    "published_schema",
    "to_dict",
    "to_json_line",
]
