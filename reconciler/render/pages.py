"""A long Markdown comment laid out in parts that each fit GitHub's comment limit.

The body is a list of sections, each a heading and pieces in order: a ``Run`` (table rows or
list items, which may continue in the next part with their head repeated there) or a
``Block`` (a field table, kept whole). ``pack`` fills parts in order, each within its room.
Given one part only, it stops at the first item that does not fit and returns the rest as
left out, so a single comment shows a prefix of the body and counts what it left out.
Markdown-neutral apart from blank lines between blocks: the renderer makes every text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.plan.model import Action


@dataclass(frozen=True)
class Item:
    """One table row, list item or field table; ``action`` is what a left-out item counts as
    (None: a field table)."""

    text: str
    action: Action | None = None


@dataclass(frozen=True)
class Run:
    """Items joined by ``joiner`` under ``head`` (a table's head rows, a list's label).
    ``too_long`` stands in for an item longer than a whole part."""

    head: tuple[str, ...]
    items: tuple[Item, ...]
    too_long: str
    joiner: str = "\n"


@dataclass(frozen=True)
class Block:
    item: Item
    too_long: str


@dataclass(frozen=True)
class Section:
    heading: str
    pieces: tuple[Run | Block, ...]


@dataclass
class Packed:
    parts: list[list[list[str]]] = field(default_factory=list)  # per part, its blocks' lines
    left_out: list[Item] = field(default_factory=list)


@dataclass
class _Part:
    room: int
    blocks: list[list[str]] = field(default_factory=list)
    section: int = -1  # the section whose heading this part holds
    run: Run | None = None  # the run the last block holds, open for more items
    items: list[str] = field(default_factory=list)  # that run's items so far

    def close(self) -> None:
        if self.run is not None:
            self.blocks.append([*self.run.head, self.run.joiner.join(self.items)])
            self.run, self.items = None, []


def _cost(lines: list[str] | tuple[str, ...]) -> int:
    """The characters a block adds, with the blank line before it."""
    return len("\n".join(lines)) + 2


def pack(sections: list[Section], first_room: int, room: int, max_parts: int) -> Packed:
    """``sections`` in at most ``max_parts`` parts: the first holds ``first_room`` characters,
    the others ``room``. A section that goes on in the next part repeats its heading there
    with "(continued)", and a run its head."""
    packed = Packed()
    part = _Part(first_room)
    started: set[int] = set()
    queue = [
        (index, piece, item)
        for index, section in enumerate(sections)
        for piece in section.pieces
        for item in (piece.items if isinstance(piece, Run) else (piece.item,))
    ]
    for position, (index, piece, item) in enumerate(queue):
        text = item.text
        while True:
            cost, heading = 0, None
            if part.section != index:
                heading = sections[index].heading
                if index in started:
                    heading += " (continued)"
                cost += len(heading) + 2
            if isinstance(piece, Run):
                if part.run is piece and heading is None:
                    cost += len(piece.joiner) + len(text)
                else:
                    cost += _cost([*piece.head, text])
            else:
                cost += _cost([text])
            if cost <= part.room:
                break
            if part.section == -1:  # an empty part: the item alone is too long for any
                if text is piece.too_long:
                    break  # cannot happen with the renderer's rooms; never loop
                text = piece.too_long
                continue
            if len(packed.parts) + 1 >= max_parts:
                part.close()
                packed.parts.append(part.blocks)
                packed.left_out = [queued[2] for queued in queue[position:]]
                return packed
            part.close()
            packed.parts.append(part.blocks)
            part = _Part(room)
        part.room -= cost
        if heading is not None:
            part.close()
            part.blocks.append([heading])
            part.section = index
            started.add(index)
        if isinstance(piece, Run):
            if part.run is not piece:
                part.close()
                part.run = piece
            part.items.append(text)
        else:
            part.close()
            part.blocks.append([text])
    part.close()
    packed.parts.append(part.blocks)
    return packed
