"""Synthetic customer records with known truth: the same people as an e-store, retailers, a marketplace,
e-mail and chat see them.

    .venv/bin/python benchmarks/identity_synth.py --people 20000 --out DIR [--seed 7]

Writes one CSV per source into DIR (`estore.csv`, `retailer_north.csv`, `retailer_south.csv`,
`marketplace.csv`, `email.csv`, `chat.csv`, columns named as `cxhub customers link` reads them) and
`truth.csv` (`source,record_id,person_id`). The same seed and size give the same files, byte for byte
(stdlib `random` only, seeded; the name and street lists are in this file).

What the generator assumes (the benchmark means no more than this):

- People live in Ireland (phone numbers with nine national digits: mobiles 08x, landlines with a two-digit
  area code; the country is `IE` where a source has a country). Names come from short lists of common
  Irish and British first names and surnames with a skewed frequency, so namesakes are frequent.
- Households: about 45% of people share a home with one to three others: the same address line,
  postcode and city, mostly the same surname; a third of households share a landline that members give
  instead of their mobile now and then, a fifth share a family e-mail. Some households have twins
  (same date of birth and surname, different first names). No two members of a household share a
  first name (or a nickname of it).
- Sources and what they carry:
  `estore` (an account: first and last name, e-mail, phone, address, postcode, city, country, date of
  birth on half of the accounts); `retailer_north` / `retailer_south` (a seller's order: full name, phone
  or e-mail or both, address, city, sometimes a postcode); `marketplace` (an order: full name, shipping
  address, city, postcode, a relay e-mail made by the marketplace that is never the person's own, a
  phone on a third of orders); `email` (a message: the sender's address and display name, often the first
  name alone or nothing); `chat` (a pre-chat form: first name and an e-mail or a phone).
- Every record carries an identifier that a pre-chat form, a message or an order would carry. An
  e-mail or chat record uses an e-mail or phone that the person also gave in one of their account or
  order records (a message from an address the brand has never seen cannot be linked by anyone and is
  not generated; nor is a record with nothing but a first name).
- Errors, each drawn independently per record: typos in names, streets, cities and e-mail local parts
  (a letter inserted, deleted, substituted or two transposed), nicknames from the engine's nickname
  table, first and last name swapped, missing fields, day and month of the birth date transposed,
  phones in national, international, spaced and unspaced forms, e-mail upper case, Gmail dots and
  +tags, street types abbreviated or spelt out, and apartment prefixes dropped.
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NICKNAMES_CSV = ROOT / "src" / "cxhub" / "customers" / "data" / "nicknames.csv"

FEMALE = [
    "mary",
    "aoife",
    "ciara",
    "niamh",
    "siobhan",
    "saoirse",
    "orla",
    "roisin",
    "margaret",
    "catherine",
    "elizabeth",
    "anne",
    "sarah",
    "emma",
    "sophie",
    "grace",
    "hannah",
    "chloe",
    "laura",
    "rachel",
    "jennifer",
    "susan",
    "deborah",
    "rebecca",
    "victoria",
    "eleanor",
    "jessica",
    "teresa",
    "patricia",
    "helen",
    "claire",
    "louise",
    "fiona",
    "sinead",
    "grainne",
    "maeve",
    "caoimhe",
    "eimear",
    "aisling",
    "deirdre",
    "brid",
    "nuala",
    "una",
    "sheila",
    "bernadette",
    "kathleen",
    "josephine",
    "pamela",
    "amanda",
    "abigail",
    "melanie",
    "julie",
    "karen",
]
MALE = [
    "john",
    "patrick",
    "michael",
    "james",
    "thomas",
    "william",
    "robert",
    "david",
    "daniel",
    "joseph",
    "christopher",
    "stephen",
    "anthony",
    "richard",
    "matthew",
    "andrew",
    "samuel",
    "benjamin",
    "nicholas",
    "alexander",
    "frederick",
    "edward",
    "henry",
    "charles",
    "lawrence",
    "gerard",
    "sean",
    "ciaran",
    "conor",
    "cian",
    "oisin",
    "darragh",
    "eoin",
    "niall",
    "padraig",
    "colm",
    "declan",
    "brendan",
    "kevin",
    "brian",
    "paul",
    "mark",
    "peter",
    "martin",
    "noel",
    "liam",
    "dermot",
    "fergal",
    "ronan",
    "shane",
    "barry",
    "gavin",
    "jonathan",
]
SURNAMES = [
    "murphy",
    "kelly",
    "obrien",
    "walsh",
    "smith",
    "byrne",
    "ryan",
    "oconnor",
    "oneill",
    "reilly",
    "doyle",
    "mccarthy",
    "gallagher",
    "odoherty",
    "kennedy",
    "lynch",
    "murray",
    "quinn",
    "moore",
    "mcloughlin",
    "carroll",
    "connolly",
    "daly",
    "connell",
    "wilson",
    "dunne",
    "brennan",
    "burke",
    "collins",
    "campbell",
    "clarke",
    "johnston",
    "hughes",
    "farrell",
    "fitzgerald",
    "brown",
    "martin",
    "maguire",
    "nolan",
    "flynn",
    "thompson",
    "callaghan",
    "donnell",
    "duffy",
    "mahony",
    "boyle",
    "healy",
    "shea",
    "white",
    "sweeney",
    "hayes",
    "kavanagh",
    "power",
    "mcgrath",
    "moran",
    "brady",
    "stewart",
    "casey",
    "foley",
    "fitzpatrick",
    "leary",
    "mcdonnell",
    "macmahon",
    "donnelly",
    "regan",
    "donovan",
    "burns",
    "flanagan",
    "mullan",
    "barry",
    "kane",
    "robinson",
    "cunningham",
    "griffin",
    "kenny",
    "sheehan",
    "ward",
    "whelan",
    "lyons",
    "reid",
    "graham",
    "higgins",
    "cullen",
    "keane",
    "king",
    "maher",
    "mckenna",
    "bell",
    "scott",
    "hogan",
    "keeffe",
    "magee",
    "mcnamara",
    "mcdonald",
    "hurley",
    "kiely",
    "mooney",
    "roche",
    "hegarty",
    "tobin",
    "costello",
    "devlin",
]
STREETS = [
    "main",
    "church",
    "station",
    "bridge",
    "mill",
    "green",
    "park",
    "hill",
    "high",
    "castle",
    "river",
    "chapel",
    "abbey",
    "college",
    "market",
    "school",
    "new",
    "old",
    "oak",
    "ash",
    "beech",
    "elm",
    "willow",
    "cedar",
    "rose",
    "lime",
    "orchard",
    "meadow",
    "sea",
    "strand",
    "harbour",
    "pier",
    "dublin",
    "cork",
    "galway",
    "limerick",
    "sligo",
    "tara",
    "clare",
    "kerry",
    "wicklow",
    "shannon",
    "liffey",
    "boyne",
    "barrow",
    "ormond",
    "pearse",
    "connolly",
    "parnell",
    "oconnell",
    "grattan",
    "emmet",
    "davitt",
    "wolfe",
    "tone",
    "griffith",
    "collins",
    "mount",
    "summer",
    "spring",
    "belmont",
    "glen",
    "valley",
    "woodland",
    "forest",
    "lake",
    "ferry",
    "quay",
    "cross",
    "fair",
    "well",
]
STREET_TYPES = (
    ("street", "st"),
    ("road", "rd"),
    ("avenue", "ave"),
    ("lane", "ln"),
    ("drive", "dr"),
    ("court", "ct"),
    ("terrace", "tce"),
    ("place", "pl"),
    ("park", "park"),
    ("close", "close"),
    ("grove", "grove"),
    ("crescent", "crescent"),
)
# town, phone area code, Eircode routing keys
TOWNS = (
    ("Dublin", "1", ("D01", "D02", "D04", "D06", "D08", "D12", "D15", "D24")),
    ("Cork", "21", ("T12", "T23")),
    ("Galway", "91", ("H91",)),
    ("Limerick", "61", ("V94",)),
    ("Waterford", "51", ("X91",)),
    ("Drogheda", "41", ("A92",)),
    ("Dundalk", "42", ("A91",)),
    ("Swords", "1", ("K67",)),
    ("Bray", "1", ("A98",)),
    ("Navan", "46", ("C15",)),
    ("Kilkenny", "56", ("R95",)),
    ("Ennis", "65", ("V95",)),
    ("Carlow", "59", ("R93",)),
    ("Tralee", "66", ("V92",)),
    ("Newbridge", "45", ("W12",)),
    ("Portlaoise", "57", ("R32",)),
    ("Athlone", "90", ("N37",)),
    ("Mullingar", "44", ("N91",)),
    ("Wexford", "53", ("Y35",)),
    ("Letterkenny", "74", ("F92",)),
    ("Sligo", "71", ("F91",)),
    ("Clonmel", "52", ("E91",)),
    ("Castlebar", "94", ("F23",)),
    ("Tullamore", "57", ("R35",)),
)
DOMAINS = ("gmail.com",) * 5 + ("hotmail.com", "yahoo.ie", "outlook.com", "eircom.net", "icloud.com", "live.ie")
SOURCES = ("estore", "retailer_north", "retailer_south", "marketplace", "email", "chat")
COLUMNS = {
    "estore": (
        "record_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "address_line",
        "postcode",
        "city",
        "country",
    ),
    "retailer_north": ("record_id", "full_name", "phone", "email", "address_line", "city", "postcode"),
    "retailer_south": ("record_id", "full_name", "phone", "email", "address_line", "city", "postcode"),
    "marketplace": ("record_id", "full_name", "email", "phone", "address_line", "city", "postcode"),
    "email": ("record_id", "full_name", "email"),
    "chat": ("record_id", "first_name", "email", "phone"),
}


@dataclass
class Person:
    person_id: int
    first: str
    last: str
    dob: tuple[int, int, int]
    email: str
    mobile: str
    street: tuple[int, str, int]  # number, street name, type index
    apartment: int | None
    town: int
    eircode: str
    landline: str | None = None
    family_email: str | None = None
    work_email: str | None = None


@dataclass
class Generator:
    rng: random.Random
    nicknames: dict[str, list[str]]
    used_emails: set[str] = field(default_factory=set)
    used_phones: set[str] = field(default_factory=set)
    used_eircodes: set[str] = field(default_factory=set)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {s: [] for s in SOURCES})
    truth: list[tuple[str, str, int]] = field(default_factory=list)

    # ---- people -------------------------------------------------------------------------------------
    def skewed(self, items: list[str]) -> str:
        """Zipf-like choice (weight 1/(rank + 5)): the first names of the lists are the common ones."""
        return self.rng.choices(items, cum_weights=_cumulative(len(items)))[0]

    def unique(self, used: set[str], make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in used:
                used.add(value)
                return value

    def new_email(self, first: str, last: str, year: int) -> str:
        rng = self.rng

        def make() -> str:
            style = rng.random()
            if style < 0.35:
                local = f"{first}.{last}"
            elif style < 0.55:
                local = f"{first}{last}{rng.randint(1, 99)}"
            elif style < 0.7:
                local = f"{first[0]}{last}{year % 100:02d}"
            elif style < 0.85:
                local = f"{first}.{last}{rng.randint(1, 999)}"
            else:
                local = f"{first}{rng.choice(['x', '_', ''])}{rng.randint(100, 9999)}"
            return f"{local}@{rng.choice(DOMAINS)}"

        return self.unique(self.used_emails, make)

    def new_phone(self, landline_area: str | None = None) -> str:
        rng = self.rng
        if landline_area is None:
            return self.unique(self.used_phones, lambda: f"8{rng.choice('35679')}{rng.randint(0, 9_999_999):07d}")
        width = 9 - len(landline_area)
        return self.unique(self.used_phones, lambda: f"{landline_area}{rng.randint(10 ** (width - 1), 10**width - 1)}")

    def first_name(self, taken: set[str]) -> str:
        names = FEMALE if self.rng.random() < 0.5 else MALE
        while True:
            name = self.skewed(names)
            canon = self.canonical(name)
            if canon not in taken:
                taken.add(canon)
                return name

    def canonical(self, name: str) -> str:
        for canon, nicks in self.nicknames.items():
            if name == canon or name in nicks:
                return canon
        return name

    def households(self, people: int) -> list[Person]:
        rng = self.rng
        out: list[Person] = []
        while len(out) < people:
            size = rng.choices((1, 2, 3, 4), weights=(55, 25, 12, 8))[0]
            size = min(size, people - len(out))
            last = self.skewed(SURNAMES)
            town = rng.choices(range(len(TOWNS)), cum_weights=_cumulative(len(TOWNS), 0.5))[0]
            _name, area, keys = TOWNS[town]
            street = (rng.randint(1, 240), rng.choice(STREETS), rng.randrange(len(STREET_TYPES)))
            apartment = rng.randint(1, 60) if rng.random() < 0.2 else None
            eircode = self.unique(
                self.used_eircodes,
                lambda keys=keys: (
                    rng.choice(keys)
                    + " "
                    + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(4))
                ),
            )
            landline = self.new_phone(area) if size > 1 and rng.random() < 0.33 else None
            taken: set[str] = set()
            members: list[Person] = []
            parent_year = rng.randint(1950, 1995)
            twins = size >= 3 and rng.random() < 0.25
            for i in range(size):
                surname = last if i == 0 or rng.random() < 0.85 else self.skewed(SURNAMES)
                year = parent_year + rng.randint(-4, 4) if i < 2 else min(parent_year + rng.randint(20, 35), 2008)
                dob = (year, rng.randint(1, 12), rng.randint(1, 28))
                if twins and i == size - 1:
                    dob, surname = members[-1].dob, members[-1].last
                first = self.first_name(taken)
                person = Person(
                    person_id=len(out) + len(members),
                    first=first,
                    last=surname,
                    dob=dob,
                    email=self.new_email(first, surname, dob[0]),
                    mobile=self.new_phone(),
                    street=street,
                    apartment=apartment,
                    town=town,
                    eircode=eircode,
                    landline=landline,
                )
                if rng.random() < 0.15:
                    person.work_email = self.new_email(first, surname, dob[0])
                members.append(person)
            if size > 1 and rng.random() < 0.2:
                family = self.unique(
                    self.used_emails,
                    lambda last=last: (
                        f"{rng.choice(['the', ''])}{last}{rng.choice(['family', 's', 'home'])}"
                        f"{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
                    ),
                )
                for person in members:
                    person.family_email = family
            out += members
        return out

    # ---- errors -------------------------------------------------------------------------------------
    def typo(self, text: str, rate: float) -> str:
        rng = self.rng
        if len(text) < 3 or rng.random() >= rate:
            return text
        i = rng.randrange(1, len(text) - 1)
        kind = rng.randrange(4)
        letter = rng.choice(string.ascii_lowercase)
        if kind == 0:
            return text[:i] + letter + text[i:]
        if kind == 1:
            return text[:i] + text[i + 1 :]
        if kind == 2:
            return text[:i] + letter + text[i + 1 :]
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]

    def given(self, person: Person) -> str:
        nicks = self.nicknames.get(person.first)
        name = self.rng.choice(nicks) if nicks and self.rng.random() < 0.25 else person.first
        return self.typo(name, 0.06)

    def cased(self, name: str) -> str:
        roll = self.rng.random()
        if roll < 0.75:
            return name.title().replace("Obrien", "O'Brien").replace("Oconnor", "O'Connor")
        return name.upper() if roll < 0.85 else name

    def names(self, person: Person) -> tuple[str, str]:
        first, last = self.cased(self.given(person)), self.cased(self.typo(person.last, 0.06))
        return (last, first) if self.rng.random() < 0.03 else (first, last)

    def phone(self, national: str) -> str:
        roll = self.rng.random()
        if len(national) == 9 and national.startswith("8"):
            parts = (national[:2], national[2:5], national[5:])
        else:
            cut = len(national) - 7
            parts = (national[:cut], national[cut : cut + 3], national[cut + 3 :])
        if roll < 0.3:
            return "0" + " ".join(parts)
        if roll < 0.5:
            return "0" + national
        if roll < 0.75:
            return "+353 " + " ".join(parts)
        if roll < 0.9:
            return "+353" + national
        return "00353" + national

    def email(self, address: str, rate: float = 0.03) -> str:
        rng = self.rng
        local, domain = address.split("@")
        if domain == "gmail.com":
            if rng.random() < 0.15:
                local = local.replace(".", "")
            elif rng.random() < 0.1 and "." not in local and len(local) > 4:
                cut = rng.randrange(2, len(local) - 1)
                local = local[:cut] + "." + local[cut:]
            if rng.random() < 0.1:
                local += "+" + rng.choice(["shop", "orders", "news", "deals"])
        local = self.typo(local, rate)
        text = f"{local}@{domain}"
        roll = rng.random()
        if roll < 0.05:
            return text.upper()
        if roll < 0.15:
            return local.title() + "@" + domain
        return text

    def dob(self, person: Person, *, iso: bool) -> str:
        year, month, day = person.dob
        if day <= 12 and self.rng.random() < 0.06:
            month, day = day, month
        if self.rng.random() < 0.02:
            year += self.rng.choice((-1, 1))
        return f"{year:04d}-{month:02d}-{day:02d}" if iso else f"{day:02d}/{month:02d}/{year:04d}"

    def address(self, person: Person) -> str:
        rng = self.rng
        number, name, kind = person.street
        long, short = STREET_TYPES[kind]
        street_type = short if rng.random() < 0.4 else long
        line = f"{number} {self.typo(name, 0.05)} {street_type}"
        if person.apartment is not None and rng.random() < 0.8:
            line = f"{rng.choice(['Apt', 'Apartment', 'Flat'])} {person.apartment}, {line}"
        return line.title() if rng.random() < 0.8 else line.upper()

    def maybe(self, value: str, keep: float) -> str:
        return value if self.rng.random() < keep else ""

    # ---- records ------------------------------------------------------------------------------------
    def add(self, source: str, person: Person, row: dict[str, str]) -> None:
        record_id = f"{source[:2].upper()}{len(self.rows[source]) + 1:07d}"
        self.rows[source].append({"record_id": record_id, **row})
        self.truth.append((source, record_id, person.person_id))

    def contact_phone(self, person: Person) -> str:
        if person.landline and self.rng.random() < 0.3:
            return person.landline
        return person.mobile

    def contact_email(self, person: Person) -> str:
        roll = self.rng.random()
        if person.family_email and roll < 0.3:
            return person.family_email
        if person.work_email and roll > 0.8:
            return person.work_email
        return person.email

    def records(self, person: Person) -> None:
        rng = self.rng
        town = TOWNS[person.town][0]
        emails: list[str] = []
        phones: list[str] = []
        anchors = 0
        for _ in range(rng.choices((0, 1, 2), weights=(30, 60, 10))[0]):
            first, last = self.names(person)
            email, phone = self.contact_email(person), self.contact_phone(person)
            emails.append(email)
            phone_text = self.maybe(self.phone(phone), 0.85)
            if phone_text:
                phones.append(phone)
            row = {
                "first_name": first,
                "last_name": last,
                "email": self.email(email),
                "phone": phone_text,
                "date_of_birth": self.dob(person, iso=True) if rng.random() < 0.5 else "",
                "address_line": self.address(person),
                "postcode": self.maybe(person.eircode if rng.random() < 0.7 else person.eircode.replace(" ", ""), 0.9),
                "city": self.maybe(self.cased(self.typo(town.lower(), 0.03)), 0.95),
                "country": self.maybe("IE", 0.8),
            }
            self.add("estore", person, row)
            anchors += 1
        for source in ("retailer_north", "retailer_south"):
            for _ in range(rng.choices((0, 1, 2), weights=(65, 30, 5))[0]):
                first, last = self.names(person)
                has = rng.random()
                phone = self.contact_phone(person) if has < 0.75 else ""
                email = self.contact_email(person) if has > 0.45 else ""
                phones += [phone] if phone else []
                emails += [email] if email else []
                row = {
                    "full_name": f"{first} {last}",
                    "phone": self.phone(phone) if phone else "",
                    "email": self.email(email) if email else "",
                    "address_line": self.address(person),
                    "city": self.maybe(self.cased(self.typo(town.lower(), 0.03)), 0.9),
                    "postcode": self.maybe(person.eircode, 0.5),
                }
                self.add(source, person, row)
                anchors += 1
        for _ in range(rng.choices((0, 1, 2), weights=(65, 30, 5))[0]):
            first, last = self.names(person)
            phone = self.contact_phone(person) if rng.random() < 0.35 else ""
            phones += [phone] if phone else []
            relay = "".join(rng.choice("abcdef0123456789") for _ in range(14)) + "@relay.marketplace.example"
            row = {
                "full_name": f"{first} {last}",
                "email": relay,
                "phone": self.phone(phone) if phone else "",
                "address_line": self.address(person),
                "city": self.maybe(self.cased(self.typo(town.lower(), 0.03)), 0.95),
                "postcode": self.maybe(person.eircode, 0.85),
            }
            self.add("marketplace", person, row)
            anchors += 1
        if not anchors:
            # everyone bought or signed up somewhere at least once
            first, last = self.names(person)
            email = self.contact_email(person)
            emails.append(email)
            row = {
                "full_name": f"{first} {last}",
                "phone": "",
                "email": self.email(email),
                "address_line": self.address(person),
                "city": self.cased(town.lower()),
                "postcode": self.maybe(person.eircode, 0.5),
            }
            self.add("retailer_north", person, row)
        if emails:
            for _ in range(rng.choices((0, 1, 2, 3), weights=(55, 35, 10, 0))[0]):
                email = rng.choice(emails)
                roll = rng.random()
                display = (
                    f"{self.cased(self.given(person))} {self.cased(person.last)}"
                    if roll < 0.5
                    else self.cased(self.given(person))
                    if roll < 0.8
                    else ""
                )
                self.add("email", person, {"full_name": display, "email": self.email(email, 0.0)})
        contacts = [("email", e) for e in emails] + [("phone", p) for p in phones]
        if contacts:
            for _ in range(rng.choices((0, 1, 2), weights=(60, 30, 10))[0]):
                kind, value = rng.choice(contacts)
                row = {
                    "first_name": self.maybe(self.cased(self.given(person)), 0.95),
                    "email": self.email(value, 0.02) if kind == "email" else "",
                    "phone": self.phone(value) if kind == "phone" else "",
                }
                self.add("chat", person, row)


def _cumulative(n: int, offset: float = 5.0) -> list[float]:
    total, out = 0.0, []
    for rank in range(n):
        total += 1 / (rank + offset)
        out.append(total)
    return out


def nickname_table(path: Path = NICKNAMES_CSV) -> dict[str, list[str]]:
    """canonical name -> its nicknames, from the engine's own table."""
    table: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            table.setdefault(row["canonical"], []).append(row["name"])
    return table


def generate(people: int, seed: int = 7) -> tuple[dict[str, list[dict[str, str]]], list[tuple[str, str, int]]]:
    """Rows per source and the truth (source, record_id, person_id), the same for the same arguments."""
    gen = Generator(rng=random.Random(seed), nicknames=nickname_table())
    population = gen.households(people)
    gen.rng.shuffle(population)
    for person in population:
        gen.records(person)
    return gen.rows, gen.truth


def write(out: Path, people: int, seed: int = 7) -> dict[str, int]:
    """Write the source files and truth.csv into `out`; the record count per source."""
    rows, truth = generate(people, seed)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for source, records in rows.items():
        with (out / f"{source}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS[source])
            writer.writeheader()
            writer.writerows(records)
        counts[source] = len(records)
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("source", "record_id", "person_id"))
        writer.writerows(truth)
    return counts


def source_files(out: Path) -> list[Path]:
    return [out / f"{source}.csv" for source in SOURCES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="folder for the CSV files (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        counts = write(out, args.people, args.seed)
        total = sum(counts.values())
        print(
            f"{args.people:,} people -> {total:,} records in {out}: "
            + ", ".join(f"{s} {n:,}" for s, n in counts.items())
        )


if __name__ == "__main__":
    main()
