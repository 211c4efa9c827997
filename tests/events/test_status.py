"""The end and stored statuses: one definition, published the same everywhere."""

from __future__ import annotations

from typing import get_args

from cloudping.channels.api import document
from cloudping.channels.mcp import resultmodel as rm
from cloudping.events import published_schema
from cloudping.events.status import END_STATUSES, FINAL_OF_END, FINAL_STATUSES, MeasurementStatus


def test_every_end_status_leaves_a_distinct_stored_status() -> None:
    assert set(FINAL_OF_END) == set(END_STATUSES)
    assert sorted(FINAL_OF_END.values()) == sorted(FINAL_STATUSES)


def test_stored_status_is_running_or_a_final_status() -> None:
    assert set(get_args(MeasurementStatus)) == {"running", *FINAL_STATUSES}
    assert "interrupted" in FINAL_STATUSES


def test_the_event_schema_publishes_every_end_status() -> None:
    end = published_schema()["$defs"]["EndEvent"]["properties"]["status"]
    assert end["enum"] == list(END_STATUSES)


def test_the_api_publishes_every_stored_status() -> None:
    measurement = document()["components"]["schemas"]["Measurement"]
    assert measurement["properties"]["status"]["enum"] == ["running", *FINAL_STATUSES]


def test_mcp_results_take_every_end_and_stored_status() -> None:
    result = rm.ToolResult.model_json_schema()["properties"]["status"]
    page = rm.EventPage.model_json_schema()["properties"]["status"]
    assert set(result["enum"]) == {"running", *END_STATUSES}
    assert set(page["enum"]) == {"running", *FINAL_STATUSES}
