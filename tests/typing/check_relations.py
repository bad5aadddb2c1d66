"""Relations: a foreign key to a model class reads as an instance of it."""

from __future__ import annotations

from typing import Any, assert_type

from aksara import Model, fields
from aksara.query.related import RelatedManager


class Team(Model):
    name = fields.String(max_length=50)


class Skill(Model):
    name = fields.String(max_length=50)


class Player(Model):
    name = fields.String(max_length=50)
    team = fields.ForeignKey(Team, related_name="players")
    mentor = fields.ForeignKey("Player", nullable=True)
    captain_of = fields.OneToOne(Team, nullable=True, related_name="captain")
    former = fields.ForeignKey(Team, nullable=True, related_name="former_players")
    skills = fields.ManyToMany(Skill, related_name="players")


async def relations() -> None:
    player = await Player.objects.select_related("team").get(name="x")
    assert_type(player.team, Team)
    assert_type(player.team.name, str)
    assert_type(player.former, Team | None)
    assert_type(player.captain_of, Team | None)
    assert_type(player.mentor, Any | None)  # a target given by name is not followed
    player.team = await Team.objects.get(name="y")
    assert_type(player.skills, RelatedManager[Skill])
    assert_type(await player.skills.all(), list[Skill])
    assert_type(await player.skills.filter(name="dribbling"), list[Skill])
    await player.skills.add(await Skill.objects.get(name="passing"))


def mistakes(player: Player) -> None:
    player.team.nmae = "x"  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
