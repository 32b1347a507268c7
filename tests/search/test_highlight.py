"""Search results highlight the words the blind index matched, on the page only."""

from __future__ import annotations

from tests.discussions.support import new_thread, reply


def test_results_mark_the_matched_words_whatever_their_case_and_accents(client, team, login):
    tid = new_thread(client, team, title="Réinsertion des <b>détenus</b>")
    reply(client, team, tid, "Le programme de DÉSENGAGEMENT marche bien.")
    login(client, team.member)
    page = client.get("/search", query_string={"q": "desengagement"}).get_data(as_text=True)
    assert "<mark>DÉSENGAGEMENT</mark>" in page and "<mark>programme</mark>" not in page
    page = client.get("/search", query_string={"q": "detenus"}).get_data(as_text=True)
    assert "&lt;b&gt;<mark>détenus</mark>&lt;/b&gt;" in page  # escaped around the mark


def test_the_top_bar_searches_from_every_page(client, team, login):
    login(client, team.member)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page


def test_highlight_escapes_and_folds():
    from emisa.search.normalise import highlighter

    assert str(highlighter("eleve script")("Élève <script>")) == (
        "<mark>Élève</mark> &lt;<mark>script</mark>&gt;"
    )
    assert str(highlighter("تاهيل")("تأهيل السجناء")) == "<mark>تأهيل</mark> السجناء"
