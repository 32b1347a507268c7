"""Agenda items as a person types them: the page numbers them, so typed numbering is dropped."""

from emisa.meetings.operations import _clean_agenda


def test_typed_list_markers_are_not_doubled_but_numbers_in_text_stay():
    typed = "1. Returnees\n2) Prison radicalisation\n- AOB\n\n  2026 budget   review "
    assert _clean_agenda(typed) == [
        "Returnees",
        "Prison radicalisation",
        "AOB",
        "2026 budget review",
    ]
