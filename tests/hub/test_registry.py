"""The agent registry: names bound to identities, one live connection per name."""

from __future__ import annotations

import pytest

from cloudping.commands.selection import parse_selectors
from cloudping.hub import MemoryRegistry, RegistryError, selection_matches
from cloudping.hub.selection import profile_of
from cloudping.testing import ScriptedAgent
from cloudping.wire.messages import AgentAttributes

pytestmark = pytest.mark.anyio
T0 = 1_750_000_000.0
BERLIN = AgentAttributes(country="DE", city="Berlin", asn=3320, capabilities=("icmp",))


async def test_a_registered_agent_is_listed_and_found_by_name() -> None:
    registry = MemoryRegistry()
    link = ScriptedAgent("ber1")
    entry = await registry.register("ber1", "ber1", BERLIN, link, T0)
    assert await registry.get("ber1") == entry
    assert [e.name for e in await registry.list()] == ["ber1"]
    assert entry.handle is link
    assert entry.attributes.city == "Berlin"


async def test_the_list_is_sorted_by_name() -> None:
    registry = MemoryRegistry()
    for name in ("zrh1", "ams1", "fra1"):
        await registry.register(name, name, BERLIN, ScriptedAgent(name), T0)
    assert [e.name for e in await registry.list()] == ["ams1", "fra1", "zrh1"]


async def test_a_name_is_bound_to_the_identity_that_proved_it() -> None:
    registry = MemoryRegistry()
    with pytest.raises(RegistryError) as caught:
        await registry.register("fra1", "ber1", BERLIN, ScriptedAgent("fra1"), T0)
    assert caught.value.code == "unauthorized"
    assert await registry.get("fra1") is None


async def test_a_second_live_connection_with_the_same_name_is_refused() -> None:
    registry = MemoryRegistry()
    first = ScriptedAgent("ber1")
    await registry.register("ber1", "ber1", BERLIN, first, T0)
    with pytest.raises(RegistryError) as caught:
        await registry.register("ber1", "ber1", BERLIN, ScriptedAgent("ber1"), T0 + 1)
    assert caught.value.code == "name_in_use"
    entry = await registry.get("ber1")
    assert entry is not None
    assert entry.handle is first


async def test_unregistering_frees_the_name() -> None:
    registry = MemoryRegistry()
    first, second = ScriptedAgent("ber1"), ScriptedAgent("ber1")
    await registry.register("ber1", "ber1", BERLIN, first, T0)
    assert await registry.unregister("ber1", first)
    await registry.register("ber1", "ber1", BERLIN, second, T0 + 1)
    entry = await registry.get("ber1")
    assert entry is not None
    assert entry.handle is second


async def test_a_late_disconnect_of_an_old_connection_leaves_the_new_one() -> None:
    registry = MemoryRegistry()
    old, new = ScriptedAgent("ber1"), ScriptedAgent("ber1")
    await registry.register("ber1", "ber1", BERLIN, old, T0)
    await registry.unregister("ber1", old)
    await registry.register("ber1", "ber1", BERLIN, new, T0 + 1)
    assert not await registry.unregister("ber1", old)
    assert await registry.get("ber1") is not None


async def test_an_attribute_update_replaces_the_hello_attributes() -> None:
    registry = MemoryRegistry()
    link = ScriptedAgent("ber1")
    await registry.register("ber1", "ber1", BERLIN, link, T0)
    moved = AgentAttributes(country="DE", city="Hamburg", capabilities=("icmp", "dns"))
    updated = await registry.update("ber1", link, moved)
    assert updated.attributes == moved
    assert await registry.get("ber1") == updated


async def test_only_the_live_connection_may_update_the_attributes() -> None:
    registry = MemoryRegistry()
    await registry.register("ber1", "ber1", BERLIN, ScriptedAgent("ber1"), T0)
    with pytest.raises(RegistryError) as caught:
        await registry.update("ber1", ScriptedAgent("ber1"), AgentAttributes(city="Hamburg"))
    assert caught.value.code == "not_found"


async def test_the_listing_follows_every_change() -> None:
    registry = MemoryRegistry()
    ber1, fra1 = ScriptedAgent("ber1"), ScriptedAgent("fra1")
    await registry.register("fra1", "fra1", BERLIN, fra1, T0)
    assert [e.name for e in await registry.list()] == ["fra1"]
    await registry.register("ber1", "ber1", BERLIN, ber1, T0)
    assert [e.name for e in await registry.list()] == ["ber1", "fra1"]
    moved = AgentAttributes(country="FR", city="Paris", capabilities=("icmp",))
    await registry.update("fra1", fra1, moved)
    assert [e.attributes.city for e in await registry.list()] == ["Berlin", "Paris"]
    await registry.unregister("ber1", ber1)
    assert [e.name for e in await registry.list()] == ["fra1"]


async def test_an_entry_is_matched_on_its_current_attributes() -> None:
    registry = MemoryRegistry()
    link = ScriptedAgent("ber1")
    entry = await registry.register("ber1", "ber1", BERLIN, link, T0)
    assert entry.profile == profile_of("ber1", BERLIN)
    assert selection_matches(parse_selectors("berlin+AS3320"), entry)
    moved = AgentAttributes(country="US", city="New York", asn=64500, capabilities=("icmp",))
    updated = await registry.update("ber1", link, moved)
    assert selection_matches(parse_selectors("new_york+as64500"), updated)
    assert not selection_matches(parse_selectors("berlin"), updated)
    assert not selection_matches(parse_selectors("AS3320"), updated)
