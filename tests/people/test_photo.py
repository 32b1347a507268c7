"""Profile photos: re-encoded without metadata, bounded, bombs refused, served with the check."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.web import post_form

GPS_IFD = 0x8825


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (36.0, 48.0, 23.0), 3: "E", 4: (10.0, 10.0, 52.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, comment=b"secret comment")
    data = output.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    return data


def _upload(client, data: bytes, name: str = "me.jpg"):
    return post_form(
        client,
        "/profile/photo",
        {"photo-photo": (io.BytesIO(data), name)},
        page="/profile",
        prefix="photo",
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_exif_location_is_gone(world, client, login, app):
    login(client, world.alice)
    page = _upload(client, _jpeg_with_gps())
    assert "Your photo is saved." in page.get_data(as_text=True)
    served = client.get(f"/people/{world.alice.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    body = served.get_data()
    image = Image.open(io.BytesIO(body))
    assert not image.getexif()
    assert max(image.size) <= 512
    for marker in (b"Exif", b"SpyCam", b"secret comment", b"GPS"):
        assert marker not in body


def test_decompression_bomb_refused(world, client, login, app):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")  # 50 million pixels, a few KiB
    assert len(bomb.getvalue()) < 100_000
    login(client, world.alice)
    page = _upload(client, bomb.getvalue(), "bomb.png").get_data(as_text=True)
    assert "more than 40 million pixels" in page
    assert client.get(f"/people/{world.alice.id}/photo").status_code == 404


def test_not_a_picture(world, client, login):
    login(client, world.alice)
    page = _upload(client, b"<svg onload=alert(1)>", "x.svg").get_data(as_text=True)
    assert "not a JPEG, PNG or WebP picture" in page


def test_photo_follows_its_visibility(world, client, login, app):
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.people.operations import update_profile

    login(client, world.alice)
    _upload(client, _jpeg_with_gps())
    url = f"/people/{world.alice.id}/photo"
    bob, olga = app.test_client(), app.test_client()
    login(bob, world.bob)
    login(olga, world.olga)
    assert bob.get(url).status_code == 200
    assert olga.get(url).status_code == 404  # no shared group: not even the photo
    with app.app_context():
        update_profile(db.session.get(User, world.alice.id), {"visibility": {"photo": "nobody"}})
        commit()
    assert bob.get(url).status_code == 404
    assert f'src="{url}"' not in bob.get("/people").get_data(as_text=True)


def test_a_phone_sized_photo_is_accepted_and_a_forged_form_refused(world, client, login):
    import os

    noise = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    big = io.BytesIO()
    noise.save(big, format="JPEG", quality=95)
    assert 1024 * 1024 < len(big.getvalue()) < 4 * 1024 * 1024
    login(client, world.alice)
    page = _upload(client, big.getvalue())
    assert "Your photo is saved." in page.get_data(as_text=True)
    forged = client.post(
        "/profile/photo",
        data={"photo-photo": (io.BytesIO(_jpeg_with_gps()), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400
    assert "The form expired or was sent from elsewhere." in forged.get_data(as_text=True)


def test_photo_through_the_api(world, api):
    alice, olga, bob = api(world.alice), api(world.olga), api(world.bob)
    response = alice(
        "PUT",
        "/api/v1/me/profile/photo",
        data={"photo": (io.BytesIO(_jpeg_with_gps()), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_json()["has_photo"] is True
    served = bob("GET", f"/api/v1/people/{world.alice.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert not Image.open(io.BytesIO(served.get_data())).getexif()
    assert olga("GET", f"/api/v1/people/{world.alice.id}/photo").status_code == 404
    refused = alice(
        "PUT",
        "/api/v1/me/profile/photo",
        data={"photo": (io.BytesIO(b"GIF89a not really"), "x.gif")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "JPEG, PNG or WebP" in refused.get_json()["error"]["message"]
    assert alice("DELETE", "/api/v1/me/profile/photo").status_code == 204
    assert bob("GET", f"/api/v1/people/{world.alice.id}/photo").status_code == 404
