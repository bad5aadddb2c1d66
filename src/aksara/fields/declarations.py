"""``fields.declared()``: an attribute aksara makes, declared for type checkers.

A relation makes attributes the class statement does not name: its key column
(``player.team_id``) and, on its target, the reverse accessor (``team.players``). A type
checker cannot see them without a plugin, so it reads them as ``Any``. Declaring one gives it
a type::

    class Team(TypedModel):
        name: fields.String = fields.String(max_length=50)
        players: RelatedManager[Player] = fields.declared()


    class Player(TypedModel):
        team: fields.ForeignKey[Team] = fields.ForeignKey(Team, related_name="players")
        team_id: uuid.UUID = fields.declared()

On a plain ``Model`` an annotation alone does the same (``team_id: uuid.UUID``); on a
``TypedModel`` an annotation alone would be a constructor parameter to the checkers, which
``declared()`` is not (its ``init`` is ``False``, as PEP 681 reads it). The class statement
drops the placeholder, so the attribute aksara makes is the one that runs.
"""

from __future__ import annotations

from typing import Any, Final, Literal


class Declared:
    """What ``declared()`` returns: a placeholder the model's class statement drops."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "fields.declared()"


DECLARED: Final = Declared()


def declared(*, init: Literal[False] = False) -> Any:
    """Declare, for type checkers, an attribute aksara makes: a relation's key column or a
    reverse accessor (see the module). ``init`` tells checkers it is no constructor
    parameter; leave it out."""
    return DECLARED
