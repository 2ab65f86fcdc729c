"""A country cell is read by its code or by its name, as people write it: in English with the usual variants,
or in the languages a coalition's files come in (``members.climate.countries.country_code``)."""

import pytest

from members.climate.countries import country_code
from members.imports.services import import_run
from tests.members.import_files import csv_bytes


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("DK", "DK"),
        ("dnk", "DK"),
        ("Denmark", "DK"),
        ("Danmark", "DK"),
        ("Dinamarca", "DK"),
        ("Danemark", "DK"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Suomi", "FI"),
        ("Panamá", "PA"),
        ("Pays-Bas", "NL"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("UK", "GB"),
        ("Royaume-Uni", "GB"),
        ("United States", "US"),
        ("États-Unis", "US"),
        ("USA", "US"),
        ("Ivory Coast", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("DR Congo", "CD"),
        ("Republic of Korea", "KR"),
        ("St Lucia", "LC"),
        ("St. Kitts and Nevis", "KN"),
        ("The Gambia", "GM"),
        ("Burma", "MM"),
    ],
)
def test_a_country_is_known_by_its_codes_and_its_names(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        # ISO 3166's names, and the "Name, qualifier" form CRMs' country lists (CiviCRM, Salesforce) use.
        ("Tanzania, United Republic of", "TZ"),
        ("United Republic of Tanzania", "TZ"),
        ("Iran, Islamic Republic of", "IR"),
        ("Congo, The Democratic Republic of the", "CD"),
        ("Congo, Democratic Republic of", "CD"),
        ("Congo, Republic of the", "CG"),
        ("Moldova, Republic of", "MD"),
        ("Republic of Moldova", "MD"),
        ("Venezuela, Bolivarian Republic of", "VE"),
        ("Bolivia, Plurinational State of", "BO"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Micronesia, Federated States of", "FM"),
        ("Federated States of Micronesia", "FM"),
        ("Korea, Democratic People's Republic of", "KP"),
        ("Democratic People’s Republic of Korea", "KP"),
        ("Korea, Republic of", "KR"),
        ("Taiwan, Province of China", "TW"),
        ("Palestine, State of", "PS"),
        ("Virgin Islands, British", "VG"),
        ("British Virgin Islands", "VG"),
        ("Virgin Islands, U.S.", "VI"),
        ("Netherlands, Kingdom of the", "NL"),
        ("Lao People's Democratic Republic", "LA"),
        ("Syrian Arab Republic", "SY"),
        ("Russian Federation", "RU"),
        ("Viet Nam", "VN"),
        ("Cote D'Ivoire", "CI"),
        ("Gambia, The", "GM"),
        ("Saint Vincent and the Grenadines", "VC"),
        # German names that are not django-countries' German ones.
        ("Elfenbeinküste", "CI"),
        ("Vereinigte Staaten", "US"),
        ("Vereinigte Staaten von Amerika", "US"),
    ],
)
def test_a_country_is_known_by_its_iso_name_and_the_inverted_form_crms_write(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize(
    "names",
    [
        [("Niger", "NE"), ("Nigeria", "NG")],
        [
            ("Congo", "CG"),
            ("Republic of the Congo", "CG"),
            ("Congo, Republic of the", "CG"),
            ("Democratic Republic of the Congo", "CD"),
            ("Congo, The Democratic Republic of the", "CD"),
        ],
        [
            ("Guinea", "GN"),
            ("Equatorial Guinea", "GQ"),
            ("Guinea, Equatorial", "GQ"),
            ("Guinea-Bissau", "GW"),
            ("Papua New Guinea", "PG"),
        ],
        [("Dominica", "DM"), ("Dominican Republic", "DO"), ("Republic, Dominican", "DO")],
        [("Sudan", "SD"), ("South Sudan", "SS"), ("Sudan, South", "SS")],
        [
            ("Korea, Republic of", "KR"),
            ("Korea, Democratic People's Republic of", "KP"),
            ("South Korea", "KR"),
            ("North Korea", "KP"),
            ("Korea, South", "KR"),
            ("Korea, North", "KP"),
        ],
        [("Virgin Islands, British", "VG"), ("Virgin Islands, U.S.", "VI")],
    ],
)
def test_names_that_are_close_name_different_countries(names):
    assert [(name, country_code(name)) for name, _code in names] == names


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Kingdom of Denmark", "DK"),
        ("Republic of Finland", "FI"),
        ("Republic of Panama", "PA"),
        ("Federal Republic of Germany", "DE"),
        ("People's Republic of China", "CN"),
        ("Republic of China", "TW"),
        ("Republic of the Union of Myanmar", "MM"),
        ("Socialist Republic of Viet Nam", "VN"),
        ("Republic of the Sudan", "SD"),
        ("Republic of South Sudan", "SS"),
        ("Union of the Comoros", "KM"),
        ("Independent State of Papua New Guinea", "PG"),
        ("Türkiye (Republic of)", "TR"),
        ("Hellenic Republic", "GR"),
        ("Swiss Confederation", "CH"),
        ("United Mexican States", "MX"),
        # The whole name first: the DRC is never read as the Congo.
        ("Democratic Republic of the Congo", "CD"),
        ("Republic of the Congo", "CG"),
        ("Democratic People's Republic of Korea", "KP"),
    ],
)
def test_a_country_is_known_by_its_official_long_name(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize(
    "written",
    [
        "", "Xylophone", "MAN", "Man", "Europe", "Narnia", "Korea", "Republic of",
        "State of California", "Commonwealth of Massachusetts", "Union of Concerned Scientists", "Kingdom of",
    ],
)  # fmt: skip
def test_what_names_no_country_is_none(written):
    assert country_code(written) == ""


@pytest.mark.django_db
def test_an_import_reads_country_names_in_other_languages(admin_user):
    rows = [
        {"name": "Müller Kohlenstoff AG", "kind": "company", "country": "Deutschland"},
        {"name": "Sumidero Verde", "kind": "company", "country": "España"},
        {"name": "Nowhere Ltd", "kind": "company", "country": "Narnia"},
    ]

    outcome = import_run(
        resource="organisations",
        content=csv_bytes(rows, ["name", "kind", "country"]),
        fmt="csv",
        by=admin_user,
    )

    assert (outcome.created, outcome.error_rows) == (2, 1), outcome.errors
    [error] = outcome.errors
    assert (error.row, error.field) == (4, "country") and "Narnia" in error.message


@pytest.mark.django_db
def test_a_contact_or_commitment_finds_its_country_by_a_name_in_another_language(admin_user):
    from members.models import Commitment, Contact
    from tests.members.factories import CountryFactory, OrganisationFactory

    denmark = CountryFactory(country="DK", name="Denmark")
    germany = CountryFactory(country="DE", name="Germany")
    # An organisation whose name is a country's name is still found by its name first.
    panama_ngo = OrganisationFactory(name="Panamá", kind="ngo", website="")
    contacts = [
        {"organisation": "Danmark", "name": "Dan Jørgensen", "email": "dan@kefm.example.dk"},
        {"organisation": "Panama", "name": "Ana Pérez", "email": "ana@example.pa"},
    ]
    commitments = [{"organisation": "Deutschland", "kind": "net_zero", "target_year": "2045"}]

    people = import_run(
        resource="contacts", content=csv_bytes(contacts, ["organisation", "name", "email"]), fmt="csv"
    )
    targets = import_run(
        resource="commitments",
        content=csv_bytes(commitments, ["organisation", "kind", "target_year"]),
        fmt="csv",
        by=admin_user,
    )

    assert (people.created, people.error_rows, targets.created, targets.error_rows) == (2, 0, 1, 0)
    assert Contact.objects.get(email="dan@kefm.example.dk").organisation == denmark
    assert Contact.objects.get(email="ana@example.pa").organisation == panama_ngo
    assert Commitment.objects.get().organisation == germany


@pytest.mark.django_db
def test_an_import_reads_the_country_names_a_crm_exports(admin_user):
    names = {
        "Tanzania, United Republic of": "TZ",
        "Congo, The Democratic Republic of the": "CD",
        "Korea, Democratic People's Republic of": "KP",
        "Virgin Islands, British": "VG",
        "Elfenbeinküste": "CI",
        "Vereinigte Staaten": "US",
    }
    rows = [{"name": f"Climate NGO {i}", "kind": "ngo", "country": name} for i, name in enumerate(names)]

    outcome = import_run(
        resource="organisations",
        content=csv_bytes(rows, ["name", "kind", "country"]),
        fmt="csv",
        by=admin_user,
    )

    assert (outcome.created, outcome.error_rows) == (len(names), 0), outcome.errors
    from members.models import Organisation

    stored = dict(Organisation.objects.values_list("name", "country"))
    assert stored == {f"Climate NGO {i}": code for i, code in enumerate(names.values())}
