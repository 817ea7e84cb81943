"""Which conversations a QA analyst evaluates: stratified random samples, and targeted ones.

Random: the frame is split into strata by organisation and touchpoint, the sample size is allocated to
the strata equally or in proportion to their size, and each stratum gives a simple random sample of its
share. Targeted: the frame is narrowed by filters (agent, organisation, touchpoint, channel, a low CSAT
answer, a long handle time, reopened), then a simple random sample of it is drawn. The same frame, size
and seed always give the same sample, whatever order the frame comes in.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

Allocation = Literal["equal", "proportional"]
StratumKey = tuple[str, str]  # (organisation id, touchpoint id); "" where there is none
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Contact:
    """One conversation of the sampling frame, with what the strata and the filters read."""

    conversation_id: str
    organisation_id: str | None = None
    touchpoint_id: str | None = None
    agent_id: str | None = None
    channel: str = ""
    lowest_csat: int | None = None  # the lowest CSAT answer on it, if any
    handle_seconds: float | None = None
    reopened: bool = False

    @property
    def stratum(self) -> StratumKey:
        return (self.organisation_id or "", self.touchpoint_id or "")


@dataclass(frozen=True, slots=True)
class Target:
    """The filters of a targeted sample; a contact must pass every one that is set."""

    agent_id: str | None = None
    organisation_id: str | None = None
    touchpoint_id: str | None = None
    channel: str | None = None
    csat_at_most: int | None = None
    handle_seconds_at_least: float | None = None
    reopened: bool = False  # True: reopened conversations only

    def matches(self, contact: Contact) -> bool:
        return (
            (self.agent_id is None or contact.agent_id == self.agent_id)
            and (self.organisation_id is None or contact.organisation_id == self.organisation_id)
            and (self.touchpoint_id is None or contact.touchpoint_id == self.touchpoint_id)
            and (self.channel is None or contact.channel == self.channel)
            and (
                self.csat_at_most is None
                or (contact.lowest_csat is not None and contact.lowest_csat <= self.csat_at_most)
            )
            and (
                self.handle_seconds_at_least is None
                or (contact.handle_seconds is not None and contact.handle_seconds >= self.handle_seconds_at_least)
            )
            and (not self.reopened or contact.reopened)
        )


def _shuffled(keys: Iterable[K], seed: str) -> list[K]:
    """The keys in an order fixed by the seed: who gets a remainder is drawn, not alphabetical."""
    ordered = sorted(keys, key=repr)
    random.Random(f"{seed}/order").shuffle(ordered)  # noqa: S311 - sampling, not secrets
    return ordered


def allocate(sizes: Mapping[K, int], size: int, allocation: Allocation, *, seed: str = "") -> dict[K, int]:
    """How many of `size` each stratum gives (never more than it holds; all of them sum to min(size, total)).

    Proportional: Hamilton's largest-remainder method on size x N_h / N. Equal: the same share for every
    stratum, and a stratum too small for its share gives all it has while the rest share the surplus.
    Remainders (and ties) go to strata in an order drawn from the seed.
    """
    total = sum(sizes.values())
    size = max(0, min(size, total))
    order = _shuffled(sizes, seed)
    shares = dict.fromkeys(order, 0)
    if size == 0:
        return shares
    if allocation == "proportional":
        quotas = {k: size * sizes[k] / total for k in order}
        for k in order:
            shares[k] = math.floor(quotas[k])
        left = size - sum(shares.values())
        by_remainder = sorted(order, key=lambda k: -(quotas[k] - shares[k]))  # stable: ties keep the drawn order
        for k in by_remainder[:left]:
            shares[k] += 1
        return shares
    left = size
    while left:
        open_strata = [k for k in order if shares[k] < sizes[k]]
        each, extra = divmod(left, len(open_strata))
        if each == 0:
            for k in open_strata[:extra]:
                shares[k] += 1
            break
        for k in open_strata:
            given = min(each, sizes[k] - shares[k])
            shares[k] += given
            left -= given
    return shares


def _unique(contacts: Iterable[Contact]) -> list[Contact]:
    ordered = sorted(contacts, key=lambda c: c.conversation_id)
    for before, after in itertools.pairwise(ordered):
        if before.conversation_id == after.conversation_id:
            raise ValueError(f"conversation {before.conversation_id} is twice in the frame")
    return ordered


def stratified(contacts: Iterable[Contact], *, size: int, allocation: Allocation, seed: str) -> list[Contact]:
    """A stratified random sample by organisation and touchpoint, in conversation id order."""
    strata: dict[StratumKey, list[Contact]] = defaultdict(list)
    for contact in _unique(contacts):
        strata[contact.stratum].append(contact)
    shares = allocate({key: len(members) for key, members in strata.items()}, size, allocation, seed=seed)
    chosen: list[Contact] = []
    for key in sorted(strata):
        draw = random.Random(f"{seed}/{key[0]}/{key[1]}")  # noqa: S311 - sampling, not secrets
        chosen.extend(draw.sample(strata[key], shares[key]))
    return sorted(chosen, key=lambda c: c.conversation_id)


def targeted(contacts: Iterable[Contact], *, target: Target, size: int, seed: str) -> list[Contact]:
    """A simple random sample of the contacts that pass the filters, in conversation id order."""
    matching = [c for c in _unique(contacts) if target.matches(c)]
    draw = random.Random(f"{seed}/targeted")  # noqa: S311 - sampling, not secrets
    return sorted(draw.sample(matching, min(max(size, 0), len(matching))), key=lambda c: c.conversation_id)


def strata_of(contacts: Sequence[Contact]) -> dict[StratumKey, int]:
    """How many contacts each stratum holds."""
    counts: dict[StratumKey, int] = defaultdict(int)
    for contact in contacts:
        counts[contact.stratum] += 1
    return dict(counts)
