"""vCard parser: our tricky file and the real exports in ../shared/data/vcards."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from geflecht.importers.parsers import ContactRecord, ParseProblem, parse_vcards


def _split(items):
    records = [i for i in items if isinstance(i, ContactRecord)]
    problems = [i for i in items if isinstance(i, ParseProblem)]
    assert len(records) + len(problems) == len(items)
    return records, problems


def _by_name(records):
    return {r.display_name: r for r in records}


# --- our own tricky file ------------------------------------------------------------


@pytest.fixture
def tricky(files):
    return _split(list(parse_vcards(files / "tricky.vcf")))


def test_quoted_printable_soft_line_break_inside_an_umlaut_is_joined(tricky):
    records, _ = tricky
    jm = records[0]
    assert (jm.prefix, jm.given_name, jm.family_name) == ("Dr.", "Jürgen", "Müller-Lüdenscheid")
    assert jm.formatted_name == "Dr. Jürgen Müller-Lüdenscheid"
    assert (jm.organization, jm.department, jm.job_title) == (
        "Großhandel Süd GmbH",
        "Einkauf",
        "Leiter Einkauf",
    )
    assert jm.addresses[0].street == "Straße des 17. Juni 5"
    assert jm.addresses[0].city == "München"
    assert jm.addresses[0].label == "work"
    assert jm.birthday == date(1970, 3, 1)
    assert [e.value for e in jm.emails] == ["j.mueller@example.de", "juergen@example.org"]
    assert jm.emails[1].label == "home"
    assert [(p.value, p.label) for p in jm.phones] == [
        ("+49 89 1234-0", "work,voice"),
        ("0171 2345678", "cell"),
    ]


def test_declared_latin1_and_undeclared_windows1252_are_decoded(tricky):
    records, _ = tricky
    names = _by_name(records)
    assert names["Björn Weiß"].family_name == "Weiß"
    andre = names["André Köhler"]
    assert andre.organization == "Müller & Söhne KG"
    assert andre.notes == "Preis € 12, ab Werk"  # 0x80 is the euro sign in Windows-1252


def test_line_folded_inside_a_utf8_character_and_data_uri_photo(tricky):
    records, _ = tricky
    zoe = _by_name(records)["Zoë Ångström-Ørsted Ünal"]
    assert zoe.external_id == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert [(e.value, e.label) for e in zoe.emails] == [
        ("zoe@firma.example", "work"),
        ("zoe@privat.example", "home"),
    ]
    assert zoe.phones[0].value == "+49-170-555-0101"  # tel: URI stripped
    assert zoe.categories == ("Kunde", "Messe Hannover, 2024")
    assert zoe.photo is not None and zoe.photo.mime == "image/png"
    assert zoe.photo.data.startswith(b"\x89PNG")


def test_apple_item_groups_give_their_labels(tricky):
    records, _ = tricky
    petra = _by_name(records)["Petra Schmidt"]
    assert petra.emails[0].label == "Werk Ulm"
    assert petra.phones[0].label == "mobile"
    assert petra.photo is not None and petra.photo.data.startswith(b"\x89PNG")


def test_embedded_agent_card_does_not_end_the_outer_card(tricky):
    records, _ = tricky
    carla = _by_name(records)["Carla Chef"]
    assert carla.emails[0].value == "carla@example.com"
    assert "Anton Assistent" not in _by_name(records)


def test_broken_cards_are_reported_with_entry_and_line_and_the_rest_kept(tricky):
    records, problems = tricky
    assert len(records) == 6
    assert [(p.entry_no, p.line_no) for p in problems] == [(4, 28), (8, 64)]
    assert "missing name" in problems[0].reason
    assert "truncated" in problems[1].reason
    assert all(p.file.endswith("tricky.vcf") for p in problems)


def test_name_is_optional_when_asked(files):
    records, problems = _split(list(parse_vcards(files / "tricky.vcf", require_name=False)))
    assert len(records) == 7
    assert [p.entry_no for p in problems] == [8]


def test_reads_from_a_binary_stream_and_reports_progress(files):
    calls = []
    data = (files / "tricky.vcf").read_bytes()
    items = list(parse_vcards(io.BytesIO(data), on_progress=lambda *a: calls.append(a)))
    assert len(items) == 8
    assert calls[-1] == (8, len(data), len(data))


def test_progress_is_reported_while_streaming():
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A B\r\nN:B;A;;;\r\nEND:VCARD\r\n"
    calls = []
    stream = io.BytesIO((card * 1200).encode())
    records = list(parse_vcards(stream, on_progress=lambda *a: calls.append(a)))
    assert len(records) == 1200
    assert [c[0] for c in calls] == [500, 1000, 1200]


# --- real exports -------------------------------------------------------------------


def test_sap_latin1_export_without_charset(shared):
    records, problems = _split(
        list(parse_vcards(shared("vcards", "ical4j-vcard", "vcard-vCards-SAP.vcf")))
    )
    assert len(records) == 30 and not problems
    names = {r.formatted_name for r in records}
    assert "Ingrid Spaßlund" in names
    assert "Günther Blümchen" in names


def test_roundcube_windows1252_card(shared):
    (rec,) = parse_vcards(shared("vcards", "roundcube", "johndoe.vcf"))
    assert rec.family_name == "Doë" and rec.formatted_name == "John Doë"
    assert {e.value for e in rec.emails} == {"inbox@roundcube.net", "roundcube@gmail.com"}
    assert rec.addresses[0].country == "Cayman Islands"


def test_utf16_file_without_bom(shared):
    (rec,) = parse_vcards(shared("vcards", "roundcube", "utf-16_sample.vcf"))
    assert rec.formatted_name == "Ǽgean ĽdaMonté"
    assert rec.addresses[0].city == "LaPaz" and rec.addresses[0].country == "Perú"


def test_horde_21_quoted_printable_umlauts_and_photo(shared):
    (rec,) = parse_vcards(shared("vcards", "horde-turba", "export_21.vcf"))
    assert rec.family_name == "Schneiderö"
    assert rec.job_title == "Senior Developer (äöü)"
    assert (rec.organization, rec.department) == ("Horde Project", "äöü")
    assert rec.addresses[0].street == "Schönestr. 15\n33604 Bielefeld"
    assert rec.addresses[1].city == "Köln" and rec.addresses[1].region == "Allgäu"
    assert rec.birthday == date(1971, 10, 1)
    assert rec.photo is not None and rec.photo.mime == "image/png"


def test_kde_mojibake_is_repaired(shared):
    (rec,) = parse_vcards(shared("vcards", "ical4j-vcard", "4b62872a-849-0.vcf"))
    assert rec.addresses[0].city == "Köln"
    assert rec.addresses[0].extended == "Medizinstraße 4711"
    assert rec.prefix == "Herr" and rec.family_name == "Branntwein"


def test_android_quoted_printable_and_email_only_cards(shared):
    path = shared("vcards", "ez-vcard", "John_Doe_ANDROID.vcf")
    records, problems = _split(list(parse_vcards(path)))
    assert [p.entry_no for p in problems] == [1, 2]  # e-mail only: no name
    assert records[0].formatted_name == "Ñ Ñ Ñ Ñ Ñ"
    kept, _ = _split(list(parse_vcards(path, require_name=False)))
    assert kept[0].emails[0].value == "john.doe@company.com"
    assert len(kept) == 6


def test_iphone_inline_photo_and_outlook_base64_photo(shared):
    (iphone,) = parse_vcards(shared("vcards", "ez-vcard", "John_Doe_IPHONE.vcf"))
    assert iphone.photo is not None and iphone.photo.data.startswith(b"\xff\xd8")
    assert len(iphone.photo.data) > 30_000
    (outlook,) = parse_vcards(shared("vcards", "ez-vcard", "John_Doe_MS_OUTLOOK.vcf"))
    assert outlook.photo is not None and outlook.photo.mime == "image/jpeg"
    assert (outlook.organization, outlook.department) == ("IBM", "Accounting")
    assert outlook.job_title == "Money Counter"
    assert outlook.birthday == date(1980, 3, 22)


def test_radicale_broken_cards_reported_rest_kept(shared):
    records, problems = _split(
        list(parse_vcards(shared("vcards", "radicale", "broken-vcards2.vcf")))
    )
    assert len(records) == 1 and [p.entry_no for p in problems] == [2]
    _, problems = _split(list(parse_vcards(shared("vcards", "khard", "vcards__unparsable.vcf"))))
    assert problems[0].entry_no == 1 and "truncated" in problems[0].reason


def test_every_real_file_parses_and_every_card_is_accounted_for(shared):
    root = shared("vcards")
    total = 0
    for path in sorted(root.glob("*/*.vc[fs]")):
        items = list(parse_vcards(path))
        entries = {i.entry_no for i in items if i.entry_no is not None}
        raw = path.read_bytes()
        if raw[:2].count(0):
            raw = raw.decode("utf-16-be").encode()
        begins = len(re.findall(rb"(?im)^begin:vcard\s*$", raw))
        agents = len(re.findall(rb"(?im)^agent[^:]*:begin:vcard", raw))
        assert len(entries) == begins - agents, path
        total += len(entries)
    assert total >= 130
