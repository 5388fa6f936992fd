"""Fix suggestions: how the catalog could avoid a breaking change, as typed records.

A fix is inferred, never applied: the plan offers it beside the change it would avoid, and
renderers choose the words (reconciler.render.status). ``basis`` says why the reconciler
believes it, so a reviewer (or a bot) can judge how sure it is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar, Literal


class FixKind(enum.StrEnum):
    PREVIOUS_SLUGS = "previous-slugs"


# same-model-id: the created model has the removed one's provider and model_id;
# similar-name: same provider, and a slug or display name close to the removed one's
FixBasis = Literal["same-model-id", "similar-name"]


@dataclass(frozen=True)
class PreviousSlugs:
    """Add ``previous_slugs: [previous_slug]`` to the created model ``model``: the plan then
    renames the removed model's row to it, and the workflows that use it follow."""

    KIND: ClassVar[FixKind] = FixKind.PREVIOUS_SLUGS
    model: str
    previous_slug: str
    basis: FixBasis

    @property
    def kind(self) -> FixKind:
        return self.KIND

    def data(self) -> dict[str, Any]:
        return {"model": self.model, "previous_slug": self.previous_slug, "basis": self.basis}


Fix = PreviousSlugs  # one kind so far; a union as kinds are added
