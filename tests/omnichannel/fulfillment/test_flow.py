"""The fulfilment flow's answers (kept per argument tuple) equal a fresh state machine's."""

from __future__ import annotations

import pytest
from statemachine.exceptions import TransitionNotAllowed

from omniretail.omnichannel.fulfillment import flow
from omniretail.omnichannel.fulfillment.errors import IllegalTransition

KINDS = [None, *flow.PICKUP_KINDS]
STATES = [s.id for s in flow.FulfilmentFlow("pickup", "placed").states]
EVENTS = sorted({e.id for e in flow.FulfilmentFlow("pickup", "placed").events})


def _fresh(mode: str, state: str, event: str, kind: str | None) -> str | None:
    machine = flow.FulfilmentFlow(mode, state, kind)
    try:
        machine.send(event)
    except (TransitionNotAllowed, AttributeError):
        return None
    return str(machine.current_state_value)


@pytest.mark.parametrize("mode", sorted(flow.MODES))
def test_every_transition_equals_a_fresh_machine(mode: str) -> None:
    legal = 0
    for kind in KINDS:
        for state in STATES:
            expected_allowed = []
            for event in EVENTS:
                expected = _fresh(mode, state, event, kind)
                for _ in range(2):  # the first answer and the kept one
                    if expected is None:
                        with pytest.raises(IllegalTransition):
                            flow.next_state(mode, state, event, kind)
                    else:
                        assert flow.next_state(mode, state, event, kind) == expected
                if expected is not None:
                    legal += 1
                    expected_allowed.append(event)
            machine = flow.FulfilmentFlow(mode, state, kind)
            listed = [e.id for e in machine.allowed_events if e.id in expected_allowed]
            assert flow.allowed_events(mode, state, kind) == listed
    assert legal > 20  # the graph is really walked


def test_allowed_events_is_a_fresh_list() -> None:
    got = flow.allowed_events("pickup", "placed")
    got.append("not_an_event")
    assert "not_an_event" not in flow.allowed_events("pickup", "placed")
