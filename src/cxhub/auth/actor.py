"""Who is acting: the user, their organisation and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cxhub.auth.permissions import ROLE_PERMISSIONS, Permission, Role

Visibility = Literal["full", "masked", "hidden"]
PERSONAL_FIELDS = ("name", "email", "phone", "address")
PARTNER_DEFAULT_POLICY: dict[str, Visibility] = dict.fromkeys(PERSONAL_FIELDS, "masked")
IN_HOUSE = "in_house"


@dataclass(frozen=True)
class Actor:
    user_id: str
    email: str
    name: str
    role: Role
    organisation_id: str
    organisation_name: str
    organisation_kind: str
    data_policy: dict[str, Visibility] = field(default_factory=dict)
    brand_ids: frozenset[str] | None = None  # None: every brand
    must_change_password: bool = False

    @property
    def is_partner(self) -> bool:
        """Anyone outside the brand's in-house organisation works behind partner boundaries."""
        return self.organisation_kind != IN_HOUSE

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def visibility(self, personal_field: str) -> Visibility:
        if not self.is_partner:
            return "full"
        return self.data_policy.get(personal_field, PARTNER_DEFAULT_POLICY[personal_field])
