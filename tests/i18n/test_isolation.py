"""User content isolated with the |bdi filter keeps its direction to itself and stays text:
a hostile name is escaped, never markup."""

from __future__ import annotations

from emisa.ui import isolate

HOSTILE = '<img src=x onerror="alert(1)">'


def test_isolate_escapes_what_it_wraps():
    assert str(isolate(HOSTILE)) == ("<bdi>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</bdi>")
    assert str(isolate("سلمى")) == "<bdi>سلمى</bdi>"


def test_a_hostile_name_in_a_translated_sentence_is_text(app, client, make_user, login):
    persona = make_user(name=HOSTILE)
    login(client, persona)
    page = client.get("/").get_data(as_text=True)
    assert "<bdi>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</bdi>" in page
    assert HOSTILE not in page
