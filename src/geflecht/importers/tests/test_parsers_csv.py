"""CSV and .xlsx contact parsers: flavours, encodings, delimiters, broken rows."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from geflecht.importers.parsers import (
    ContactRecord,
    ParseProblem,
    detect_flavour,
    parse_contacts_csv,
    parse_vcards,
    parse_xlsx,
)


def _split(items):
    return (
        [i for i in items if isinstance(i, ContactRecord)],
        [i for i in items if isinstance(i, ParseProblem)],
    )


def test_linkedin_export_with_notes_above_the_header(files):
    records, problems = _split(list(parse_contacts_csv(files / "linkedin_connections.csv")))
    assert not problems
    assert [r.source_format for r in records] == ["csv:linkedin"] * 3
    jm, sophie, olafur = records
    assert (jm.given_name, jm.family_name, jm.emails[0].value) == (
        "Jürgen",
        "Müller",
        "j.mueller@example.de",
    )
    assert (jm.organization, jm.job_title) == ("Großhandel Süd GmbH", "Leiter Einkauf")
    assert jm.urls == ("https://www.linkedin.com/in/juergen-mueller",)
    assert jm.extra["Connected On"] == ("05 Jan 2024",)
    assert (sophie.organization, sophie.job_title, sophie.emails) == (
        "Acme, Inc.",
        "VP Sales, EMEA",
        (),
    )
    assert olafur.given_name == "Ólafur"
    assert [r.line_no for r in records] == [5, 6, 8]


def test_german_outlook_semicolon_windows1252(files):
    path = files / "outlook_de_semicolon_cp1252.csv"
    records, problems = _split(list(parse_contacts_csv(path)))
    assert [r.source_format for r in records] == ["csv:outlook"] * 3
    joerg = records[0]
    assert (joerg.prefix, joerg.given_name, joerg.family_name) == ("Herr", "Jörg", "Weiß")
    assert (joerg.organization, joerg.department, joerg.job_title) == (
        "Maschinenbau Süd AG",
        "Qualität",
        "Leiter QS",
    )
    assert joerg.addresses[0].street == "Königstraße 12"
    assert joerg.addresses[0].label == "work"
    assert joerg.birthday == date(1968, 12, 24)
    assert [(p.value, p.label) for p in joerg.phones] == [
        ("+49 711 555-0", "work"),
        ("0171 5550000", "cell"),
    ]
    renee = records[1]
    assert renee.birthday is None and not renee.warnings  # "0.0.00" means no date
    assert [e.value for e in renee.emails] == ["r.boehm@example.at", "renee@example.com"]
    # a row with only a phone number has no name and no e-mail: reported, skipped
    assert [(p.entry_no, p.line_no) for p in problems] == [(3, 4)]
    # an impossible birthday costs the birthday, not the contact
    ulrike = records[2]
    assert ulrike.family_name == "Öztürk" and ulrike.birthday is None
    assert ulrike.warnings and "31.02.1980" in ulrike.warnings[0]


def test_google_export_typed_columns_and_unterminated_quote(files):
    records, problems = _split(list(parse_contacts_csv(files / "google_contacts.csv")))
    (anke,) = records
    assert anke.source_format == "csv:google"
    assert [(e.value, e.label) for e in anke.emails] == [
        ("anke@schroeder-metall.example", "work"),
        ("a.schroeder@example.com", "work"),
        ("anke@privat.example", "home"),
    ]
    assert anke.phones[0].label == "cell"
    assert anke.addresses[0].city == "Ulm" and anke.addresses[0].postal_code == "89073"
    assert anke.notes == "Zwei\nZeilen"
    assert anke.categories == ("myContacts", "Kunden")
    assert anke.birthday == date(1975, 6, 30)
    assert [(p.entry_no, p.line_no) for p in problems] == [(2, 5)]
    assert "malformed" in problems[0].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters_are_detected(tmp_path, encoding, delimiter):
    rows = [
        ["Vorname", "Nachname", "E-Mail-Adresse", "Firma"],
        ["Jürgen", "Weiß", "jw@example.de", "Müller, Söhne & Co"],
        ["Zoë", "Ørsted", "zo@example.dk", "Größe AG"],
    ]

    def cell(v):
        return f'"{v}"' if delimiter in v else v

    text = "\r\n".join(delimiter.join(cell(v) for v in row) for row in rows) + "\r\n"
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode(encoding))
    records = list(parse_contacts_csv(path))
    assert [(r.given_name, r.family_name, r.organization) for r in records] == [
        ("Jürgen", "Weiß", "Müller, Söhne & Co"),
        ("Zoë", "Ørsted", "Größe AG"),
    ]


def test_stray_windows1252_byte_in_utf8_file_only_changes_that_field(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "Name,Email\nJürgen Müller,jm@example.de\n".encode() + b"Ren\xe9 B,rb@example.de\n"
    )
    records = list(parse_contacts_csv(path))
    assert [r.formatted_name for r in records] == ["Jürgen Müller", "René B"]


def test_explicit_mapping_and_strict_mode(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("Kontakt;Mail;Tel Büro;Ort;Notiz\nAnna A;anna@example.de;0711 1;Ulm;x\n")
    mapping = {
        "Kontakt": "formatted_name",
        "Mail": "email:work",
        "Tel Büro": "phone:work",
        "Ort": "address:work:city",
        "*": "strict",
    }
    (rec,) = parse_contacts_csv(path, mapping=mapping)
    assert rec.formatted_name == "Anna A"
    assert rec.emails[0] == ("anna@example.de", "work")
    assert rec.phones[0] == ("0711 1", "work")
    assert rec.addresses[0].city == "Ulm" and rec.addresses[0].label == "work"
    assert rec.extra == {"Notiz": ("x",)}  # not mapped: kept for round trip
    with pytest.raises(ValueError, match="unknown mapping target"):
        list(parse_contacts_csv(path, mapping={"Kontakt": "shoe_size"}))


def test_file_without_a_known_header_is_one_problem(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("a,b,c\n1,2,3\n")
    (problem,) = parse_contacts_csv(path)
    assert isinstance(problem, ParseProblem) and "header" in problem.reason


def test_flavour_detection():
    assert detect_flavour(["First Name", "Last Name", "URL", "Connected On"]) == "linkedin"
    assert detect_flavour(["Name", "Given Name", "E-mail 1 - Value"]) == "google"
    assert detect_flavour(["First Name", "Primary Email", "Secondary Email"]) == "thunderbird"
    assert detect_flavour(["Vorname", "Nachname", "E-Mail-Adresse"]) == "outlook"
    assert detect_flavour(["Name", "Email"]) == "generic"


def _people(records):
    return [
        (
            r.display_name,
            r.given_name,
            r.family_name,
            frozenset(e.value for e in r.emails),
            frozenset(p.value for p in r.phones),
            r.organization,
            r.job_title,
            r.birthday,
        )
        for r in records
    ]


@pytest.mark.parametrize("name", ["gmail", "outlook", "tb_plain", "all", "email"])
def test_real_csv_exports_yield_the_same_people_as_their_vcards(shared, name):
    csv_path = shared("contact-csv", "roundcube", f"{name}.csv")
    vcf_path = shared("contact-csv", "roundcube", f"{name}.vcf")
    from_csv, csv_problems = _split(list(parse_contacts_csv(csv_path)))
    from_vcf, _ = _split(list(parse_vcards(vcf_path)))
    assert not csv_problems
    assert _people(from_csv) == _people(from_vcf)
    for c, v in zip(from_csv, from_vcf, strict=True):
        # Roundcube writes the department as X-DEPARTMENT; ours is a field.
        assert c.department == (v.department or v.extra.get("X-DEPARTMENT", ("",))[0])
        assert {a.city for a in c.addresses} == {a.city for a in v.addresses}


def test_xlsx_rows_become_contacts(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Vorname", "Nachname", "E-Mail-Adresse", "Mobiltelefon", "Geburtstag"])
    ws.append(["Jürgen", "Weiß", "jw@example.de", 491715550101, date(1970, 3, 1)])
    ws.append([None, None, None, None, None])
    ws.append(["Nur", "Name", None, None, "kein Datum"])
    path = tmp_path / "kontakte.xlsx"
    wb.save(path)
    records = list(parse_xlsx(path))
    assert [r.source_format for r in records] == ["xlsx:outlook", "xlsx:outlook"]
    jw = records[0]
    assert jw.phones[0] == ("491715550101", "cell")  # a number cell is not "4.9e11"
    assert jw.birthday == date(1970, 3, 1)
    assert jw.line_no == 2 and records[1].line_no == 4
    assert records[1].warnings


def test_broken_xlsx_is_one_problem(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no workbook")
    (problem,) = parse_xlsx(path)
    assert isinstance(problem, ParseProblem)


def test_utf16_bom_is_recognised(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "Name,Email\nÄrger Ärmel,a@example.de\n".encode("utf-16-le")
    )
    (rec,) = parse_contacts_csv(path)
    assert rec.formatted_name == "Ärger Ärmel"


OUTLOOK_EN_HEADER = (
    '"Title","First Name","Middle Name","Last Name","Suffix","Company","Department",'
    '"Job Title","Business Street","Business Street 2","Business Street 3","Business City",'
    '"Business State","Business Postal Code","Business Country/Region","Home Street",'
    '"Home City","Home Postal Code","Home Country/Region","Assistant\'s Phone","Business Fax",'
    '"Business Phone","Business Phone 2","Car Phone","Company Main Phone","Home Fax",'
    '"Home Phone","Mobile Phone","Other Phone","Pager","Primary Phone","Anniversary",'
    '"Birthday","Business Address PO Box","Categories","E-mail Address","E-mail Type",'
    '"E-mail Display Name","E-mail 2 Address","E-mail 2 Type","E-mail 2 Display Name",'
    '"Notes","Web Page"'
)


def test_english_outlook_export_with_us_dates(tmp_path):
    row = (
        '"Mr.","Michael","","Angstadt","Jr.","TheCompany","TheDepartment","TheJobTitle",'
        '"222 Broadway","Suite 100","","New York","NY","99999","United States of America",'
        '"","","","","","(111) 555-4444","(111) 555-1111","","","","","(111) 555-2222",'
        '"(111) 555-3333","","","","0/0/00","3/10/1922","PO 7","Business;VIP",'
        '"mike@example.com","SMTP","Michael Angstadt (mike@example.com)","","","",'
        '"Met at the fair","http://example.com"'
    )
    path = tmp_path / "outlook.csv"
    path.write_text(OUTLOOK_EN_HEADER + "\r\n" + row + "\r\n", encoding="cp1252")
    (rec,) = parse_contacts_csv(path)
    assert rec.source_format == "csv:outlook"
    assert (rec.prefix, rec.given_name, rec.family_name, rec.suffix) == (
        "Mr.",
        "Michael",
        "Angstadt",
        "Jr.",
    )
    assert (rec.organization, rec.department, rec.job_title) == (
        "TheCompany",
        "TheDepartment",
        "TheJobTitle",
    )
    assert rec.birthday == date(1922, 3, 10)  # month first in US Outlook
    assert rec.addresses[0].street == "222 Broadway" and rec.addresses[0].extended == "Suite 100"
    assert rec.addresses[0].country == "United States of America"
    assert [(p.value, p.label) for p in rec.phones] == [
        ("(111) 555-4444", "work,fax"),
        ("(111) 555-1111", "work"),
        ("(111) 555-2222", "home"),
        ("(111) 555-3333", "cell"),
    ]
    assert [e.value for e in rec.emails] == ["mike@example.com"]
    assert rec.categories == ("Business", "VIP")
    assert rec.extra["Business Address PO Box"] == ("PO 7",)
    assert rec.urls == ("http://example.com",)
