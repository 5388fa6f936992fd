"""pack: sections laid out in parts within their room, continued with their headings."""

from __future__ import annotations

from reconciler.plan.model import Action
from reconciler.render.pages import Block, Item, Run, Section, pack


def rows(count: int, width: int = 10) -> Run:
    items = tuple(Item(f"r{n:0{width - 1}d}", Action.UPDATE) for n in range(count))
    return Run(("HEAD",), items, "TOO-LONG")


def test_everything_that_fits_goes_in_one_part_in_order() -> None:
    sections = [Section("## A", (rows(3), Block(Item("table"), "T"))), Section("## B", (rows(1),))]
    packed = pack(sections, 1000, 1000, 1)
    assert packed.left_out == []
    assert packed.parts == [
        [
            ["## A"],
            ["HEAD", "r000000000\nr000000001\nr000000002"],
            ["table"],
            ["## B"],
            ["HEAD", "r000000000"],
        ]
    ]


def test_a_run_goes_on_in_the_next_part_with_its_heading_and_head() -> None:
    # room for the heading (6), the head and three rows (5 + 3 * 11 + 2 = 40)
    packed = pack([Section("## A", (rows(5),))], 46, 46, 10)
    assert packed.left_out == []
    assert packed.parts == [
        [["## A"], ["HEAD", "r000000000\nr000000001\nr000000002"]],
        [["## A (continued)"], ["HEAD", "r000000003\nr000000004"]],
    ]
    for part in packed.parts:
        assert len("\n\n".join("\n".join(block) for block in part)) + 2 <= 46


def test_one_part_stops_at_the_first_item_that_does_not_fit() -> None:
    sections = [Section("## A", (rows(5),)), Section("## B", (Block(Item("t"), "T"),))]
    packed = pack(sections, 46, 46, 1)
    assert len(packed.parts) == 1
    assert [item.text for item in packed.left_out] == ["r000000003", "r000000004", "t"]
    assert [item.action for item in packed.left_out] == [Action.UPDATE, Action.UPDATE, None]


def test_a_heading_is_never_left_alone_at_the_end_of_a_part() -> None:
    sections = [Section("## A", (rows(1),)), Section("## B", (rows(1),))]
    packed = pack(sections, 30, 30, 10)
    assert packed.parts == [[["## A"], ["HEAD", "r000000000"]], [["## B"], ["HEAD", "r000000000"]]]


def test_an_item_longer_than_a_part_is_replaced_by_its_stand_in() -> None:
    packed = pack([Section("## A", (Block(Item("x" * 500), "(too long)"),))], 100, 100, 10)
    assert packed.parts == [[["## A"], ["(too long)"]]]


def test_list_items_join_on_one_line() -> None:
    names = Run(("label:",), (Item("`a`", Action.CREATE), Item("`b`", Action.CREATE)), "…", ", ")
    packed = pack([Section("## New", (names,))], 100, 100, 1)
    assert packed.parts == [[["## New"], ["label:", "`a`, `b`"]]]
