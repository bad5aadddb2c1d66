"""Key columns and reverse accessors: `Any` unless declared, typed when declared."""

from __future__ import annotations

import uuid
from typing import Any, assert_type

from aksara import Model, RelatedManager, TypedModel, fields


class Club(Model):
    name = fields.String(max_length=50)
    members: RelatedManager[Member]  # declared: the reverse accessor of Member.club
    captain: Member  # the reverse side of a OneToOne is the one instance


class Member(Model):
    club = fields.ForeignKey(Club, related_name="members")
    club_id: uuid.UUID
    leads = fields.OneToOne(Club, nullable=True, related_name="captain")
    former = fields.ForeignKey(Club, nullable=True, related_name="former_members")


class League(TypedModel):
    name: fields.String = fields.String(max_length=50)
    teams: RelatedManager[Squad] = fields.declared()


class Squad(TypedModel):
    name: fields.String = fields.String(max_length=50)
    league: fields.ForeignKey[League] = fields.ForeignKey(League, related_name="teams")
    league_id: uuid.UUID = fields.declared()


async def declared(member: Member, club: Club) -> None:
    assert_type(member.club_id, uuid.UUID)
    assert_type(club.members, RelatedManager[Member])
    assert_type(await club.members.all(), list[Member])
    assert_type(await club.members.filter(club_id=club.pk).first(), Member | None)
    assert_type(club.captain, Member)
    member.club_id = uuid.uuid4()


async def undeclared(member: Member, club: Club) -> None:
    # Made when the classes are built, and not declared: Any.
    assert_type(member.former_id, Any)
    assert_type(club.former_members, Any)


async def typed_models(league: League) -> None:
    squad = Squad(name="A", league=league)
    assert_type(squad.league_id, uuid.UUID)
    assert_type(await league.teams.all(), list[Squad])
    # A declared attribute is not a constructor parameter.
    Squad(name="B", league=league, league_id=uuid.uuid4())  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def mistakes(member: Member, club: Club) -> None:
    member.club_id = "not a uuid"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    club.members = []  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    member.nickname = "x"  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
