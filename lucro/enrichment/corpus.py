"""A broad labelled corpus of statement lines, generated deterministically, to train on.

Three sources, all in the repository:

- **brands** (``kind="brand"``): the name-suggestion-index brands of
  ``data/corpus/nsi_brands.csv`` (see ``corpus_nsi``), written the way banks and wallets
  print card and merchant payments in each market: a purchase prefix, the merchant field
  (upper or mixed case, often with a suburb, cut at the bank's field width of 16-25
  characters), then a date, card fragment, terminal or reference;
- **services** (``kind="service"``): curated merchants NSI has no shop for (streaming,
  airlines, utilities, telcos, insurers, betting, loan apps, tax authorities, ...);
- **idioms** (every other kind): what banks and wallets print for fees (including fee lines
  that name the merchant the fee was for), interest, debit orders, unpaid items, salaries,
  transfers, ATM and agent withdrawals, M-Pesa / MoMo / Airtel Money / Opay lines, levies,
  local merchants named by a telling word, and the taxonomy's own descriptions.

Person names are generic first-name/surname pairs; references, phone numbers and
accounts are random digits. ``corpus_lines()`` is a pure function of its seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lucro.enrichment.corpus_nsi import NSI_CATEGORIES, Brand, nsi_brands
from lucro.taxonomy.defaults import taxonomy

__all__ = ["NSI_CATEGORIES", "CorpusLine", "category_slugs", "corpus_lines"]

# The bank's merchant field width: lines cut the merchant (and its suburb) at this many
# characters, as issue 12 observed on real South African statements.
CUT_MIN, CUT_MAX = 16, 25


@dataclass(frozen=True)
class CorpusLine:
    """One labelled statement line. ``cut`` is the field width the merchant was cut to."""

    description: str
    merchant: str | None
    amount: Decimal
    category: str
    kind: str
    cut: int | None = None


def category_slugs() -> list[str]:
    """Return the detailed category slugs of the default taxonomy, in file order."""
    return [entry.slug for entry in taxonomy() if entry.parent_code is not None]


# --- Markets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Market:
    code: str
    per_usd: float  # rough local units per US dollar, for plausible amounts
    whole: bool  # amounts printed without cents
    cities: tuple[str, ...]
    card_shapes: tuple[str, ...]  # {m} merchant field, {M} merchant without cut
    wallet: bool  # a mobile-money market (its own idiom lines apply)


AFRICA = ("ZA", "KE", "NG", "GH", "UG", "TZ")
# EU members plus the European countries whose card lines look the same (FX is NSI's
# metropolitan France).
_EUROPE = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
EUROPE_EU = frozenset((_EUROPE + " FX CH NO IS").split())
_REGION_MARKETS: dict[str, tuple[str, ...]] = {
    "001": ("ZA", "KE", "NG", "GH", "UG", "TZ", "US", "GB", "EU"),
    "002": AFRICA,
    "202": AFRICA,
    "014": ("KE", "UG", "TZ"),
    "011": ("NG", "GH"),
    "018": ("ZA",),
    "019": ("US",),
    "021": ("US",),
    "150": ("GB", "EU"),
    "151": ("EU",),
    "154": ("GB", "EU"),
    "155": ("EU",),
    "039": ("EU",),
}

# fmt: off
MARKETS: dict[str, Market] = {
    "ZA": Market(
        "ZA",
        18.0,
        False,
        (
            "SANDTON", "ROSEBANK", "MENLYN", "CLAREMONT", "DURBANVILLE", "CENTURION",
            "UMHLANGA", "SOWETO", "BRAAMFONTEIN", "FOURWAYS", "BLOEMFONTEIN", "GQEBERHA",
            "PRETORIA", "CAPE TOWN", "JOHANNESBURG", "MIDRAND", "RANDBURG", "KEMPTON PARK",
            "STELLENBOSCH", "BALLITO", "EAST LONDON", "POLOKWANE", "MBOMBELA", "GEORGE",
            "BELLVILLE", "WOODMEAD", "HATFIELD", "TABLE VIEW", "PINETOWN", "BOKSBURG",
        ),
        (
            "POS PURCHASE {m} {dd/mm}", "POS Purchase {m} {dd/mm}", "{m} CARD {c4}",
            "CARD PURCHASE {m} {dd/mm} CARD {c4}", "POS {t4} {m}", "PURCHASE {m} {dd/mm}",
            "Card purchase {m}", "{m} {iso}", "DEBIT CARD PURCHASE {m}", "{m}",
            "CARD PURCHASE {m} REF {ref}", "POS PURCHASE {m} *{c4}", "{m} {dd/mm} {c4}",
            "Purchase {m} {iso} Card {c4}", "#POS {m} {dd/mm}",
        ),
        False,
    ),
    "KE": Market(
        "KE",
        130.0,
        True,
        (
            "NAIROBI", "WESTLANDS", "KILIMANI", "KASARANI", "MOMBASA", "KISUMU", "NAKURU",
            "ELDORET", "THIKA", "RONGAI", "KAREN", "SOUTH B", "EMBAKASI", "RUAKA", "JUJA",
            "KITENGELA", "SYOKIMAU", "NGONG ROAD", "LAVINGTON", "UTAWALA", "MLOLONGO",
        ),
        (
            "Merchant Payment to {till} - {M}", "Merchant Payment to {till} - {M}",
            "Pay Bill to {pb} - {M} Acc. {acc}", "MPESA PAYMENT TO {M} {mref}",
            "Buy Goods {M} Till {till}", "POS PURCHASE {m} {city} KE",
            "CARD PURCHASE {m} {dd/mm}", "{m} NAIROBI KE", "Merchant Payment Online to {till} -"
            " {M}",
            "POS {m} {ref}",
        ),
        True,
    ),
    "NG": Market(
        "NG",
        1500.0,
        False,
        (
            "LAGOS", "IKEJA", "LEKKI", "VICTORIA ISLAND", "ABUJA", "WUSE", "GARKI",
            "IBADAN", "PORT HARCOURT", "ENUGU", "KANO", "SURULERE", "YABA", "AJAH",
            "MAITAMA", "IKOYI", "BENIN CITY", "ABEOKUTA", "GBAGADA", "OGBA",
        ),
        (
            "POS PURCHASE {m} {city} NG", "POS PURCHASE @ {m}", "WEB PURCHASE {m}",
            "POS TRANSACTION {m} {t8}", "Web Purchase {m} {dd/mm}",
            "PURCHASE - {m} {city} NG", "PAYSTACK *{m}", "FLW*{m}", "POS/{m}/{city}",
            "Opay Merchant Payment {M}", "Moniepoint POS {m}", "{m} {city} LANG",
            "ONLINE PURCHASE {m} REF:{ref}",
        ),
        False,
    ),
    "GH": Market(
        "GH",
        15.0,
        False,
        (
            "ACCRA", "OSU", "EAST LEGON", "KUMASI", "TEMA", "SPINTEX", "TAKORADI",
            "MADINA", "ACHIMOTA", "CAPE COAST", "AIRPORT RES", "DZORWULU", "LABONE",
        ),
        (
            "POS PURCHASE {m} ACCRA GH", "MoMo Pay to {M} Ref {ref}", "Payment to {M} {ref}",
            "Merchant Payment {M} {mref}", "CARD PURCHASE {m} {dd/mm}",
            "POS {m} {city} GH", "MOMOPAY {M} {phone}", "{m} {city}", "MOMO PAY {M} {city}",
        ),
        True,
    ),
    "UG": Market(
        "UG",
        3700.0,
        True,
        (
            "KAMPALA", "NTINDA", "KOLOLO", "ENTEBBE", "JINJA", "MBARARA", "WANDEGEYA",
            "BUGOLOBI", "GULU", "NAKAWA", "KIREKA", "MUYENGA", "NAJJERA", "MUKONO",
        ),
        (
            "POS PURCHASE {m} KAMPALA UG", "MTN MoMo Pay {M} {mref}",
            "Airtel Money Payment to {M} {mref}", "Merchant Payment to {till} - {M}",
            "CARD PURCHASE {m} {dd/mm}", "{m} {city} UG", "MoMoPay {till} {M}",
        ),
        True,
    ),
    "TZ": Market(
        "TZ",
        2600.0,
        True,
        (
            "DAR ES SALAAM", "KARIAKOO", "MIKOCHENI", "MASAKI", "ARUSHA", "MWANZA",
            "DODOMA", "ZANZIBAR", "SINZA", "MBEZI", "KINONDONI", "MOROGORO", "UPANGA",
        ),
        (
            "POS {m} DAR ES SALAAM TZ", "Lipa kwa M-Pesa {till} {M}",
            "LIPA NAMBA {till} {M}", "Tigo Pesa Lipa {M} {mref}", "CARD PURCHASE {m} {dd/mm}",
            "POS PURCHASE {m} {city} TZ", "Malipo kwa {M} {mref}",
        ),
        True,
    ),
    "US": Market(
        "US",
        1.0,
        False,
        (
            "SAN JOSE CA", "AUSTIN TX", "BROOKLYN NY", "CHICAGO IL", "SEATTLE WA",
            "ATLANTA GA", "DENVER CO", "PHOENIX AZ", "MIAMI FL", "PORTLAND OR",
            "BOSTON MA", "COLUMBUS OH", "CHARLOTTE NC", "NASHVILLE TN", "DALLAS TX",
            "OAKLAND CA", "NEW YORK NY", "TAMPA FL", "MADISON WI", "BOISE ID", "RALEIGH NC",
        ),
        (
            "CHECKCARD {mmdd} {m} {city} {ref23}", "DEBIT CARD PURCHASE - {m} {city}",
            "POS DEBIT {m} {city}", "PURCHASE AUTHORIZED ON {mm/dd} {m} {city} S{ref11} CARD {c4}",
            "{m} #{store} {city}", "{m} {city}", "SQ *{m} {city}", "TST* {m} {city}",
            "Debit Card Purchase {m}", "{m} {store} {city}", "POS PURCHASE {m} {city}",
            "RECURRING DEBIT CARD {m}", "{m}",
        ),
        False,
    ),
    "GB": Market(
        "GB",
        0.8,
        False,
        (
            "LONDON", "MANCHESTER", "BIRMINGHAM", "LEEDS", "BRISTOL", "GLASGOW",
            "EDINBURGH", "CARDIFF", "NOTTINGHAM", "READING", "CROYDON", "BRIGHTON",
            "LIVERPOOL", "SHEFFIELD", "YORK", "OXFORD", "CAMBRIDGE", "BELFAST",
        ),
        (
            "CARD PAYMENT TO {m} ON {dd mon}", "{m} {city} GB", "CONTACTLESS PAYMENT {m}",
            "Card purchase {m}", "POS {c4} {dd mon} {m} {city}", "{m} {city}",
            "{m} ON {dd mon} CLP", "CARD PAYMENT TO {m}", "{m}", "DEBIT CARD {m} {city}",
        ),
        False,
    ),
    "EU": Market(
        "EU",
        0.92,
        False,
        (
            "BERLIN", "MUNCHEN", "HAMBURG", "PARIS", "LYON", "MADRID", "BARCELONA",
            "AMSTERDAM", "UTRECHT", "ROTTERDAM", "MILANO", "ROMA", "DUBLIN", "LISBOA",
            "WIEN", "BRUXELLES", "ANTWERPEN", "KOBENHAVN", "STOCKHOLM", "WARSZAWA",
            "PRAHA", "HELSINKI", "KOLN", "FRANKFURT", "TOULOUSE", "VALENCIA", "PORTO",
        ),
        (
            "Kartenzahlung {m} {city}", "CB {m} {dd/mm}", "PAIEMENT CB {dd/mm} {m} {city}",
            "COMPRA TARJ. {m} {city}", "PAGO CON TARJETA {m}", "BEA, Betaalpas {m},PAS{c3}",
            "Pagamento POS {m} {city}", "Card purchase {m} {city}", "VISA {m} {city}",
            "Debit card payment {m}", "{m} {city}", "Kartenzahlung girocard {m}",
            "CARTE {c4} {m} {dd/mm}", "Apple Pay {m} {city}",
        ),
        False,
    ),
}
# fmt: on
# Brands from countries outside our markets still teach shop vocabulary; they are printed
# in the shapes of these markets.
_ELSEWHERE = ("US", "GB", "EU")

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# --- Random fields ---------------------------------------------------------------------

# fmt: off
_FIRST = {
    "ZA": "THABO SIPHO LERATO NALEDI JOHAN PIETER ANNA ZANELE BONGANI AYANDA LINDIWE"
    " THANDI KAGISO PRIYA FATIMA MICHAEL",
    "KE": "JOHN MARY PETER GRACE JAMES FAITH BRIAN MERCY KEVIN JOY DENNIS ESTHER"
    " SAMUEL LUCY DAVID ANN",
    "NG": "CHINEDU NGOZI TUNDE FUNMI EMEKA AISHA IBRAHIM BLESSING SEGUN KEMI UCHE"
    " YUSUF FOLAKE OLUWASEUN AMAKA MUSA",
    "GH": "KWAME AMA KOFI AKOSUA YAW ABENA KWABENA EFUA KOJO ADWOA ESI KWESI",
    "UG": "MOSES SARAH JOSEPH ROSE PATRICK AGNES ISAAC HARRIET RONALD BRENDA DAVID",
    "TZ": "JUMA HALIMA BARAKA NEEMA HAMISI ZAWADI SALIM REHEMA ALLY MWANAIDI",
    "US": "JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID SARAH CHRIS"
    " JESSICA",
    "GB": "OLIVER AMELIA GEORGE ISLA HARRY EMILY JACK SOPHIE THOMAS CHLOE DANIEL LUCY",
    "EU": "LUCAS EMMA NOAH MIA LEON SOFIA HUGO LINA MATTEO JULIA DANIEL ANNA",
}
_LAST = {
    "ZA": "NKOSI DLAMINI NAIDOO VENTER BOTHA MOKOENA KHUMALO PILLAY SMITH"
    " MAHLANGU NDLOVU JACOBS",
    "KE": "KAMAU WANJIKU OTIENO ODHIAMBO MWANGI WAMBUI KIPROP CHERONO NJOROGE"
    " ACHIENG MUTUA WEKESA",
    "NG": "OKAFOR ADEYEMI BELLO OKONKWO ABUBAKAR ADEBAYO EZE OLAWALE NWOSU IBRAHIM"
    " OGUNDIPE",
    "GH": "MENSAH BOATENG OWUSU ASANTE APPIAH OSEI ADJEI BOAKYE ANSAH DARKO",
    "UG": "MUKASA NAKATO OKELLO SSEMPALA NAMUGGA KATO AKELLO TUMUSIIME BYARUGABA",
    "TZ": "MWAKALINGA SHABANI MREMA MUSHI KIMARO MASSAWE JUMA NYERERE",
    "US": "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS LOPEZ WILSON",
    "GB": "SMITH JONES TAYLOR BROWN WILLIAMS WILSON EVANS THOMAS ROBERTS WALKER",
    "EU": "MULLER MARTIN ROSSI GARCIA JANSSENS SCHMIDT BERNARD FERRARI JANSEN SILVA",
}
# fmt: on
_FIRST_NAMES = {key: tuple(value.split()) for key, value in _FIRST.items()}
_LAST_NAMES = {key: tuple(value.split()) for key, value in _LAST.items()}
_PHONE_PREFIX = {
    "ZA": "08",
    "KE": "07",
    "NG": "080",
    "GH": "024",
    "UG": "077",
    "TZ": "075",
    "US": "555",
    "GB": "07",
    "EU": "06",
}
_BANKS = {
    "ZA": ["FNB", "ABSA", "CAPITEC", "NEDBANK", "STANDARD BANK", "TYMEBANK"],
    "KE": ["KCB", "EQUITY", "CO-OP BANK", "NCBA", "ABSA KENYA", "STANBIC", "I&M BANK"],
    "NG": ["GTBANK", "ACCESS BANK", "ZENITH BANK", "UBA", "FIRST BANK", "OPAY", "KUDA"],
    "GH": ["GCB", "ECOBANK", "STANBIC GH", "FIDELITY BANK", "CALBANK", "ABSA GH"],
    "UG": ["STANBIC UG", "CENTENARY", "DFCU", "ABSA UG", "EQUITY UG"],
    "TZ": ["CRDB", "NMB", "NBC", "EXIM", "STANBIC TZ"],
    "US": ["CHASE", "BANK OF AMERICA", "WELLS FARGO", "CITI", "US BANK", "CAPITAL ONE"],
    "GB": ["BARCLAYS", "HSBC", "LLOYDS", "NATWEST", "MONZO", "SANTANDER", "NATIONWIDE"],
    "EU": ["ING", "DEUTSCHE BANK", "BNP PARIBAS", "SANTANDER", "N26", "REVOLUT", "ABN AMRO"],
}
# fmt: off
_EMPLOYERS = (
    "ACME HOLDINGS", "BLUE RIVER LTD", "SUNRISE LOGISTICS", "GREENFIELD FOODS",
    "METRO HEALTH GROUP", "NORTHSTAR MINING", "KILIMO TRADERS", "HORIZON SCHOOLS",
    "APEX ENGINEERING", "SAVANNA MOTORS", "CITYVIEW HOTELS", "LAKESIDE CONSULTING",
    "PRIME RETAIL", "OCEANIC SHIPPING", "HILLTOP PROPERTIES", "UNITY TECHNOLOGIES LTD",
    "COUNTY GOVERNMENT", "MINISTRY OF HEALTH", "BRIGHT STAR NGO", "DELTA CONSTRUCTION",
)
# fmt: on


def _employer(rng: random.Random, market: str) -> str:
    """Return an employer: a generic company, or one named after its trade (a clinic, a
    hotel), so that SALARY and PAYROLL outweigh the trade's words."""
    if rng.random() < 0.5:
        return rng.choice(_EMPLOYERS)
    _, words = rng.choice(LOCAL_WORDS)
    word = rng.choice(words.split("|"))
    owner = rng.choice((rng.choice(_LAST_NAMES[market]), rng.choice(MARKETS[market].cities)))
    return f"{owner} {word} {rng.choice(('LTD', 'LIMITED', 'PTY LTD', 'INC', 'GMBH', 'PLC'))}"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _alnum(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(count))


def _person(rng: random.Random, market: str) -> str:
    return f"{rng.choice(_FIRST_NAMES[market])} {rng.choice(_LAST_NAMES[market])}"


def _phone(rng: random.Random, market: str) -> str:
    prefix = _PHONE_PREFIX[market]
    masked = rng.random() < 0.5
    tail = _digits(rng, 10 - len(prefix))
    return f"{prefix}{tail[:2]}XXX{tail[-3:]}" if masked else prefix + tail


_INVESTMENT_PLATFORMS = (
    "EASYEQUITIES",
    "SATRIX",
    "ALLAN GRAY",
    "CIC",
    "ETICA",
    "SANLAM",
    "BAMBOO",
    "RISEVEST",
    "VANGUARD",
    "FIDELITY",
    "BETTERMENT",
    "TRADING 212",
    "COWRYWISE INVEST",
)
_CHURCHES = (
    "WINNERS CHAPEL",
    "CITY CHURCH",
    "DEEPER LIFE",
    "CHRIST EMBASSY",
    "ANGLICAN CHURCH",
    "CATHOLIC PARISH",
    "BAPTIST CHURCH",
    "PCEA CHURCH",
    "CITAM",
    "METHODIST CHURCH",
    "GRACE COMMUNITY CHURCH",
    "ST JOSEPH PARISH",
    "CENTRAL MOSQUE",
    "REDEEMED PARISH",
)
_FUEL_BRANDS = (
    "TOTAL",
    "TOTALENERGIES",
    "OANDO",
    "MRS",
    "CONOIL",
    "NNPC",
    "RUBIS",
    "SHELL",
    "GOIL",
    "STAR OIL",
    "KOBIL",
    "VIVO ENERGY",
    "ENGEN",
    "ASTRON",
    "HASS",
)
_GIG_PLATFORMS = (
    "UBER",
    "UBER BV",
    "BOLT",
    "GLOVO",
    "DOORDASH",
    "DELIVEROO",
    "LYFT",
    "INDRIVE",
    "LITTLE CAB",
    "SAFEBODA",
    "CHOWDECK",
    "INSTACART",
)
_SELLER_PLATFORMS = ("AIRBNB", "STRIPE", "SHOPIFY", "ETSY", "PAYSTACK", "JUMIA", "EBAY", "AMAZON")
_AGENT_WORDS = ("SHOP", "AGENCIES", "ENTERPRISES", "STORES", "MINIMART", "GENERAL SHOP")

_FIELDS: dict[str, Callable[[random.Random, str], str]] = {
    "dd/mm": lambda r, m: f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}",
    "mm/dd": lambda r, m: f"{r.randint(1, 12):02d}/{r.randint(1, 28):02d}",
    "mmdd": lambda r, m: f"{r.randint(1, 12):02d}{r.randint(1, 28):02d}",
    "iso": lambda r, m: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "dd mon": lambda r, m: f"{r.randint(1, 28):02d} {r.choice(_MONTHS)}",
    "month": lambda r, m: r.choice(_MONTHS),
    "c4": lambda r, m: _digits(r, 4),
    "c3": lambda r, m: _digits(r, 3),
    "t4": lambda r, m: _digits(r, 4),
    "t8": lambda r, m: "2" + _digits(r, 7),
    "store": lambda r, m: _digits(r, r.randint(3, 5)),
    "ref": lambda r, m: _digits(r, r.randint(5, 9)),
    "ref11": lambda r, m: _digits(r, 11),
    "ref23": lambda r, m: _digits(r, 23),
    "mref": lambda r, m: _alnum(r, 10),
    "till": lambda r, m: _digits(r, r.randint(5, 7)),
    "pb": lambda r, m: _digits(r, 6),
    "acc": lambda r, m: _digits(r, r.randint(6, 11)),
    "phone": _phone,
    "person": _person,
    "person2": _person,
    "city": lambda r, m: r.choice(MARKETS[m].cities),
    "bank": lambda r, m: r.choice(_BANKS[m]),
    "employer": lambda r, m: _employer(r, m),
    "year": lambda r, m: r.choice(("2024", "2025", "2026")),
    "agent": lambda r, m: f"{_person(r, m).split()[0]} {r.choice(_AGENT_WORDS)}",
    "invest": lambda r, m: r.choice(_INVESTMENT_PLATFORMS),
    "church": lambda r, m: r.choice(_CHURCHES),
    "fuel": lambda r, m: r.choice(_FUEL_BRANDS),
    "gig": lambda r, m: r.choice(_GIG_PLATFORMS),
    "seller": lambda r, m: r.choice(_SELLER_PLATFORMS),
}


class _Fields(dict[str, str]):
    """Template fields drawn on first use, so a template only pays for what it names."""

    def __init__(self, rng: random.Random, market: str, **given: str) -> None:
        super().__init__(given)
        self.rng, self.market = rng, market

    def __missing__(self, key: str) -> str:
        value = _FIELDS[key](self.rng, self.market)
        self[key] = value
        return value


def _fill(template: str, rng: random.Random, market: str, **given: str) -> str:
    return " ".join(template.format_map(_Fields(rng, market, **given)).split())


# --- Amounts ---------------------------------------------------------------------------

_INCOMING_PRIMARIES = ("income-", "transfer-in-")

# Typical size in US dollars (low, high), drawn log-uniformly; the market scales it.
_AMOUNT_USD: dict[str, tuple[float, float]] = {
    "food-and-drink-groceries": (4, 180),
    "food-and-drink-coffee": (2, 12),
    "food-and-drink-fast-food": (3, 30),
    "food-and-drink-restaurant": (10, 140),
    "food-and-drink-vending-machines": (1, 5),
    "food-and-drink-other-food-and-drink": (2, 25),
    "food-and-drink-beer-wine-and-liquor": (5, 90),
    "transportation-gas": (10, 110),
    "transportation-parking": (1, 30),
    "transportation-public-transit": (1, 60),
    "transportation-minibus-and-motorbike-taxis": (0.3, 6),
    "transportation-tolls": (1, 20),
    "rent-and-utilities-rent": (250, 2500),
    "loan-payments-mortgage-payment": (400, 3000),
    "loan-payments-car-payment": (200, 900),
    "income-wages": (300, 6000),
    "income-retirement-pension": (150, 2500),
    "income-tax-refund": (50, 3000),
    "income-dividends": (5, 800),
    "income-interest-earned": (0.05, 60),
    "bank-fees-atm-fees": (0.3, 5),
    "bank-fees-foreign-transaction-fees": (0.05, 6),
    "bank-fees-other-bank-fees": (0.1, 15),
    "bank-fees-mobile-money-fees": (0.05, 2),
    "bank-fees-interest-charge": (1, 80),
    "bank-fees-overdraft-fees": (5, 35),
    "bank-fees-insufficient-funds": (3, 35),
    "travel-flights": (60, 1200),
    "travel-lodging": (40, 900),
    "general-merchandise-electronics": (10, 1500),
    "home-improvement-furniture": (20, 1500),
    "general-services-education": (20, 3000),
    "general-services-insurance": (15, 300),
    "rent-and-utilities-airtime-and-data": (0.2, 30),
    "transfer-out-savings": (10, 1500),
    "transfer-in-savings": (10, 1500),
    "transfer-out-investment-and-retirement-funds": (20, 2000),
    "transfer-in-investment-and-retirement-funds": (20, 2000),
    "transfer-in-cash-advances-and-loans": (20, 2000),
    "transfer-in-deposit": (10, 1500),
    "general-merchandise-convenience-stores": (1, 40),
    "medical-pharmacies-and-supplements": (3, 90),
    "general-merchandise-clothing-and-accessories": (8, 250),
    "personal-care-hair-and-beauty": (5, 90),
    "personal-care-laundry-and-dry-cleaning": (3, 40),
    "personal-care-gyms-and-fitness-centers": (10, 90),
    "entertainment-casinos-and-gambling": (1, 60),
    "entertainment-tv-and-movies": (4, 30),
    "entertainment-music-and-audio": (2, 20),
    "entertainment-video-games": (2, 70),
    "general-merchandise-tobacco-and-vape": (3, 40),
    "general-merchandise-bookstores-and-newsstands": (2, 60),
    "general-services-postage-and-shipping": (2, 80),
    "transportation-taxis-and-ride-shares": (2, 50),
    "transportation-bikes-and-scooters": (1, 15),
    "rent-and-utilities-cooking-fuel": (2, 40),
    "rent-and-utilities-water-purchase": (0.5, 30),
    "rent-and-utilities-generator-fuel": (5, 120),
    "government-and-non-profit-donations": (2, 200),
    "transfer-out-account-transfer": (5, 1000),
    "transfer-in-account-transfer": (5, 1000),
    "transfer-out-withdrawal": (10, 500),
    "transfer-out-remittances-sent": (20, 800),
    "transfer-in-remittances-received": (20, 800),
    "income-other-income": (20, 1500),
    "income-unemployment": (100, 1500),
    "medical-other-medical": (10, 1500),
}
_AMOUNT_DEFAULT = (5.0, 250.0)


def _amount(rng: random.Random, category: str, market: str) -> Decimal:
    low, high = _AMOUNT_USD.get(category, _AMOUNT_DEFAULT)
    local = MARKETS[market]
    value = low * (high / low) ** rng.random() * local.per_usd
    if local.whole or value >= 1000:
        text = f"{max(1, round(value))}.00"
    else:
        text = f"{max(value, 0.01):.2f}"
    sign = "" if category.startswith(_INCOMING_PRIMARIES) else "-"
    return Decimal(sign + text)


# --- Brands ----------------------------------------------------------------------------

# Store-format and chain forms that really appear on statements, with the category the
# form itself implies: (market, printed form, category, clean merchant name).
# fmt: off
CHAIN_FORMS: tuple[tuple[str, str, str, str], ...] = (
    ("ZA", "PNP EXPRESS", "general-merchandise-convenience-stores", "Pick n Pay"),
    ("ZA", "PnP Express", "general-merchandise-convenience-stores", "Pick n Pay"),
    ("ZA", "PNP FAMILY", "food-and-drink-groceries", "Pick n Pay"),
    ("ZA", "PNP HYPER", "food-and-drink-groceries", "Pick n Pay"),
    ("ZA", "PICK N PAY", "food-and-drink-groceries", "Pick n Pay"),
    ("ZA", "PNP LIQUOR", "food-and-drink-beer-wine-and-liquor", "Pick n Pay"),
    ("ZA", "PNP CLOTHING", "general-merchandise-clothing-and-accessories", "Pick n Pay"),
    ("ZA", "SUPERSPAR", "food-and-drink-groceries", "Spar"),
    ("ZA", "KWIKSPAR", "food-and-drink-groceries", "Spar"),
    ("ZA", "TOPS AT SPAR", "food-and-drink-beer-wine-and-liquor", "Spar"),
    ("ZA", "CHECKERS HYPER", "food-and-drink-groceries", "Checkers"),
    ("ZA", "CHECKERS LIQUORSHOP", "food-and-drink-beer-wine-and-liquor", "Checkers"),
    ("ZA", "SHOPRITE LIQUORSHOP", "food-and-drink-beer-wine-and-liquor", "Shoprite"),
    ("ZA", "USAVE", "food-and-drink-groceries", "Shoprite Usave"),
    ("ZA", "WOOLWORTHS FOOD", "food-and-drink-groceries", "Woolworths"),
    ("ZA", "ENGEN QUICKSHOP", "general-merchandise-convenience-stores", "Engen"),
    ("ZA", "DISCHEM", "medical-pharmacies-and-supplements", "Dis-Chem"),
    ("ZA", "CLICKS PHARMACY", "medical-pharmacies-and-supplements", "Clicks"),
    ("ZA", "MR PRICE HOME", "home-improvement-furniture", "Mr Price Home"),
    ("ZA", "MRP SPORT", "general-merchandise-sporting-goods", "Mr Price Sport"),
    ("ZA", "BUILDERS EXPRESS", "home-improvement-hardware", "Builders"),
    ("KE", "NAIVAS LIMITED", "food-and-drink-groceries", "Naivas"),
    ("KE", "QUICK MART LTD", "food-and-drink-groceries", "Quickmart"),
    ("KE", "CARREFOUR HYPERMARKET", "food-and-drink-groceries", "Carrefour"),
    ("KE", "CHANDARANA FOODPLUS", "food-and-drink-groceries", "Chandarana"),
    ("NG", "SHOPRITE LEKKI", "food-and-drink-groceries", "Shoprite"),
    ("NG", "SPAR NIGERIA", "food-and-drink-groceries", "Spar"),
    ("GB", "TESCO EXPRESS", "food-and-drink-groceries", "Tesco"),
    ("GB", "TESCO STORES", "food-and-drink-groceries", "Tesco"),
    ("GB", "TESCO PFS", "transportation-gas", "Tesco"),
    ("GB", "SAINSBURYS S/MKTS", "food-and-drink-groceries", "Sainsbury's"),
    ("GB", "SAINSBURYS LOCAL", "food-and-drink-groceries", "Sainsbury's"),
    ("GB", "SAINSBURYS PETROL", "transportation-gas", "Sainsbury's"),
    ("GB", "ASDA SUPERSTORE", "food-and-drink-groceries", "Asda"),
    ("GB", "ASDA PETROL", "transportation-gas", "Asda"),
    ("GB", "M&S SIMPLY FOOD", "food-and-drink-groceries", "Marks & Spencer"),
    ("GB", "CO-OP GROUP FOOD", "food-and-drink-groceries", "Co-op"),
    ("GB", "WM MORRISONS", "food-and-drink-groceries", "Morrisons"),
    ("GB", "MORRISONS PETROL", "transportation-gas", "Morrisons"),
    ("US", "COSTCO WHSE #{store}", "general-merchandise-superstores", "Costco"),
    ("US", "COSTCO GAS", "transportation-gas", "Costco"),
    ("US", "WAL-MART", "general-merchandise-superstores", "Walmart"),
    ("US", "WM SUPERCENTER", "general-merchandise-superstores", "Walmart"),
    ("US", "WALMART FUEL", "transportation-gas", "Walmart"),
    ("US", "SAMS CLUB", "general-merchandise-superstores", "Sam's Club"),
    ("US", "KROGER FUEL", "transportation-gas", "Kroger"),
    ("US", "SAFEWAY FUEL", "transportation-gas", "Safeway"),
    ("US", "TARGET T-{store}", "general-merchandise-superstores", "Target"),
    ("US", "AMZN MKTP US", "general-merchandise-online-marketplaces", "Amazon"),
    ("US", "WHOLEFDS", "food-and-drink-groceries", "Whole Foods Market"),
    ("US", "TRADER JOE S", "food-and-drink-groceries", "Trader Joe's"),
    ("US", "CVS/PHARMACY", "medical-pharmacies-and-supplements", "CVS Pharmacy"),
    ("US", "WALGREENS #{store}", "medical-pharmacies-and-supplements", "Walgreens"),
    ("US", "THE HOME DEPOT", "home-improvement-hardware", "The Home Depot"),
    ("US", "MCDONALD'S F{store}", "food-and-drink-fast-food", "McDonald's"),
    ("EU", "CARREFOUR MARKET", "food-and-drink-groceries", "Carrefour"),
    ("EU", "CARREFOUR CITY", "food-and-drink-groceries", "Carrefour"),
    ("EU", "CARREFOUR EXPRESS", "food-and-drink-groceries", "Carrefour"),
    ("EU", "REWE MARKT GMBH", "food-and-drink-groceries", "REWE"),
    ("EU", "ALBERT HEIJN", "food-and-drink-groceries", "Albert Heijn"),
    ("EU", "AH TO GO", "food-and-drink-groceries", "Albert Heijn"),
    ("EU", "LIDL SAGT DANKE", "food-and-drink-groceries", "Lidl"),
    ("EU", "DM DROGERIE MARKT", "medical-pharmacies-and-supplements", "dm"),
)
# fmt: on

# When one name trades as two types in a market, the secondary type is printed with the
# word the banks add (TESCO PFS, COSTCO GAS, ...); a secondary type without words here
# (a grocer's convenience format, say) is left out rather than taught two labels.
_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "transportation-gas": ("PETROL", "FUEL", "GAS", "PFS", "FUEL STN"),
    "medical-pharmacies-and-supplements": ("PHARMACY", "PHARM", "CHEMIST"),
    "food-and-drink-coffee": ("CAFE", "COFFEE"),
    "food-and-drink-beer-wine-and-liquor": ("LIQUOR", "LIQUORS", "WINES"),
    "food-and-drink-restaurant": ("RESTAURANT", "GRILL"),
    "food-and-drink-fast-food": ("DRIVE THRU",),
    "travel-lodging": ("HOTEL",),
    "general-services-automotive": ("AUTO", "CAR CARE", "SERVICE CTR"),
    "general-services-insurance": ("INSURANCE", "INS"),
    "travel-rental-cars": ("CAR RENTAL", "RENT A CAR"),
    "transportation-other-transportation": ("RECHARGE", "EV CHARGING", "CHARGING"),
}


# Which type a shared name means when printed bare, first first: a grocer's name is the
# grocer, a fuel chain's name the fuel station; then every other type; then a retailer's
# cafe or restaurant (IKEA is furniture); a chain's convenience format comes last.
_BARE_PREFERENCE = (
    "food-and-drink-groceries",
    "general-merchandise-superstores",
    "transportation-gas",
    "general-merchandise-department-stores",
    "general-merchandise-discount-stores",
    "general-merchandise-clothing-and-accessories",
    "medical-pharmacies-and-supplements",
)
_BARE_LATE = (
    "food-and-drink-fast-food",
    "food-and-drink-restaurant",
    "food-and-drink-coffee",
    "general-merchandise-convenience-stores",
)

# Famous names the ranking gets wrong: Puma the sportswear brand is better known than
# Puma Energy (printed PUMA ENERGY); these convenience chains sell fuel on the side.
_PRIMARY_OVERRIDES = {
    "puma": "general-merchandise-clothing-and-accessories",
    "7-eleven": "general-merchandise-convenience-stores",
    "wawa": "general-merchandise-convenience-stores",
    "sheetz": "general-merchandise-convenience-stores",
    "quiktrip": "general-merchandise-convenience-stores",
    "kwik trip": "general-merchandise-convenience-stores",
    "casey's general store": "general-merchandise-convenience-stores",
    "cumberland farms": "general-merchandise-convenience-stores",
    "royal farms": "general-merchandise-convenience-stores",
}


# Facilities a business hosts for others (chargers at McDonald's, its car park, vending
# machines) never give the business's name its meaning.
_BARE_LAST = (
    "transportation-other-transportation",
    "transportation-parking",
    "food-and-drink-vending-machines",
)


def _bare_rank(category: str) -> int:
    if category in _BARE_PREFERENCE:
        return _BARE_PREFERENCE.index(category)
    if category in _BARE_LATE:
        return 100 + _BARE_LATE.index(category)
    if category in _BARE_LAST:
        return 200
    return 50


def _brand_markets(brand: Brand) -> tuple[str, ...]:
    markets: set[str] = set()
    for code in brand.countries:
        if code in _REGION_MARKETS:
            markets.update(_REGION_MARKETS[code])
        elif code in MARKETS and code != "EU":
            markets.add(code)
        elif code in EUROPE_EU:
            markets.add("EU")
    return tuple(sorted(markets))


# Share of merchant fields longer than the bank's width that are printed cut.
_CUT_SHARE = 0.45


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.72:
        return text.upper()
    if roll < 0.92:
        return text
    return text.title()


def _merchant_field(
    rng: random.Random, name: str, market: str, suburb: bool
) -> tuple[str, int | None]:
    """Return the printed merchant field (name, often a suburb) and its width when cut."""
    field = name
    if suburb and rng.random() < 0.45:
        field = f"{name} {rng.choice(MARKETS[market].cities).split()[0]}"
    width = rng.randint(CUT_MIN, CUT_MAX)
    if len(field) > width and rng.random() < _CUT_SHARE:
        cut = field[:width].rstrip()
        if len(cut) >= CUT_MIN:
            return cut, len(cut)
    return field, None


def _card_line(
    rng: random.Random, market: str, name: str, category: str, clean: str, kind: str
) -> CorpusLine:
    printed = _case(rng, name)
    shape = rng.choice(MARKETS[market].card_shapes)
    field, cut = _merchant_field(rng, printed, market, suburb="{city}" not in shape)
    if cut is not None and "{m}" not in shape:
        shape = "{m} {dd/mm}"  # wallet shapes print the full name; a cut needs a card shape
    description = _fill(shape, rng, market, m=field, M=printed.upper())
    merchant = clean if rng.random() < 0.3 else None
    return CorpusLine(description, merchant, _amount(rng, category, market), category, kind, cut)


# NSI lists far more fashion labels than people spend at; unknown names should not all
# look like clothing to a model trained on this.
_BRAND_LINE_SHARE = {"general-merchandise-clothing-and-accessories": 0.35}
_TYPO_SHARE = 0.04


# A named chain ordered through a delivery platform keeps the chain's category (the
# labelling convention: food delivery is a restaurant unless a fast-food chain is shown).
_DELIVERED = ("food-and-drink-fast-food", "food-and-drink-restaurant")
_DELIVERY_SHAPES = {
    "ZA": ("UBER EATS {n}", "MR D {n}", "MRD*{n}"),
    "KE": ("UBER EATS {n}", "GLOVO*{n}", "BOLT FOOD {n}"),
    "NG": ("CHOWDECK*{n}", "GLOVO*{n}", "HEYFOOD {n}"),
    "GH": ("BOLT FOOD {n}", "GLOVO*{n}"),
    "UG": ("GLOVO*{n}", "SAFEBODA FOOD {n}"),
    "TZ": ("BOLT FOOD {n}", "PIKI {n}"),
    "US": ("DOORDASH*{n}", "DD *DOORDASH {n}", "UBER *EATS {n}", "GRUBHUB*{n}"),
    "GB": ("DELIVEROO {n}", "JUST EAT {n}", "UBER *EATS {n}"),
    "EU": ("LIEFERANDO {n}", "DELIVEROO {n}", "GLOVO*{n}", "THUISBEZORGD {n}"),
}


def _delivery_line(
    rng: random.Random, market: str, name: str, category: str, clean: str
) -> CorpusLine:
    shape = rng.choice(_DELIVERY_SHAPES[market])
    description = _fill(shape, rng, market, n=name.upper())
    if rng.random() < 0.5:
        description = f"{description} {rng.choice(MARKETS[market].cities)}"
    merchant = clean if rng.random() < 0.3 else None
    return CorpusLine(description, merchant, _amount(rng, category, market), category, "brand")


def _brand_lines(rng: random.Random, brands: Sequence[Brand]) -> list[CorpusLine]:
    # Per (lower name, market), which categories trade under that name, and whether a
    # brand names the market explicitly (then worldwide-only namesakes stay out of it).
    explicit: dict[tuple[str, str], set[str]] = defaultdict(set)
    for brand in brands:
        if "001" not in brand.countries:
            for market in _brand_markets(brand):
                explicit[(brand.name.lower(), market)].add(brand.category)
    # A name shared by several types (Tesco the grocer, its fuel stations, its cafes; an
    # alias or brand tag counts) is printed bare for one of them, its primary, everywhere.
    primary: dict[str, str] = dict(_PRIMARY_OVERRIDES)
    ranked = sorted(
        brands,
        key=lambda b: (_bare_rank(b.category), -len(b.countries), b.nsi_key, b.name),
    )
    for brand in ranked:
        primary.setdefault(brand.name.lower(), brand.category)
    for brand in ranked:
        for name in (brand.brand, *brand.aliases):
            primary.setdefault(name.lower(), brand.category)
    # Curated names (services, chain forms) know their category better than NSI's type.
    curated = {
        name.lower(): category for category, _, names in SERVICES for name in names.split("|")
    }
    curated.update((form.lower(), category) for _, form, category, _ in CHAIN_FORMS)
    lines: list[CorpusLine] = []
    for brand in brands:
        markets = _brand_markets(brand)
        markets = tuple(
            market
            for market in markets
            if not (
                "001" in brand.countries
                and explicit.get((brand.name.lower(), market), {brand.category}) - {brand.category}
            )
        )
        local = bool(markets)
        if len(brand.name) < 3:
            continue  # two letters say nothing on a statement line
        # Our markets' brands get more lines, African ones most: they are what the
        # rules know least, and what the held-out statements are mostly made of.
        if any(market in AFRICA for market in markets):
            count = 8
        elif local:
            count = 4
        else:
            count = 1 if rng.random() < 0.6 else 0
        if brand.nsi_key.startswith(("transit/", "operators/")) and count:
            count = 1  # networks and charger operators are many; each is spent at rarely
        share = _BRAND_LINE_SHARE.get(brand.category, 1.0) * count
        count = int(share) + (rng.random() < share - int(share))
        for _ in range(count):
            market = rng.choice(markets) if local else rng.choice(_ELSEWHERE)
            name = brand.name
            roll = rng.random()
            if brand.aliases and roll < 0.15:
                name = rng.choice(brand.aliases)
            elif roll < 0.25 and brand.brand != brand.name:
                name = brand.brand
            if curated.get(name.lower(), brand.category) != brand.category:
                continue
            if primary[name.lower()] != brand.category:
                words = _TYPE_WORDS.get(brand.category)
                if words is None:
                    continue  # an unmarked namesake would teach a contradiction
                name = f"{name} {rng.choice(words)}"
            if len(name) >= 6 and rng.random() < _TYPO_SHARE:
                # Banks' and cashiers' typos (STARBUKS): drop one inner letter.
                cut_at = rng.randrange(2, len(name) - 1)
                name = name[:cut_at] + name[cut_at + 1 :]
            lines.append(_card_line(rng, market, name, brand.category, brand.brand, "brand"))
            if brand.category in _DELIVERED and local and rng.random() < 0.15:
                lines.append(_delivery_line(rng, market, name, brand.category, brand.brand))
    for market, form, category, clean in CHAIN_FORMS:
        for _ in range(12):
            name = _fill(form, rng, market)
            lines.append(_card_line(rng, market, name, category, clean, "brand"))
    return lines


# --- Services NSI has no shop for ------------------------------------------------------

# (category, markets, names): "*" is every market. Names are printed like card merchants.
# fmt: off
SERVICES: tuple[tuple[str, str, str], ...] = (
    ("general-services-other-general-services", "*",
     "AMAZON WEB SERVICES|AWS EMEA|MSFT *AZURE|GITHUB|GOOGLE CLOUD|DIGITALOCEAN|NAMECHEAP"
     "|GODADDY|SLACK TECHNOLOGIES|NOTION LABS"),
    ("entertainment-tv-and-movies", "*", "GOOGLE *YOUTUBEPREMIUM|YOUTUBE PREMIUM|YOUTUBE TV"),
    ("general-merchandise-online-marketplaces", "US GB EU",
     "AMZN.COM/BILL|AMAZON PRIME|AMZN PRIME|VINTED|DEPOP|BACK MARKET"),
    ("general-merchandise-clothing-and-accessories", "*", "SHEIN|ZALANDO|ASOS|H&M ONLINE"),
    ("government-and-non-profit-government-departments-and-agencies", "GB",
     "TV LICENCE|TV LICENSING|GOV.UK PASSPORT|DBS CHECK"),
    ("transportation-taxis-and-ride-shares", "*", "BOLT|UBER|UBER BV"),
    ("entertainment-tv-and-movies", "*",
     "NETFLIX.COM|NETFLIX|DISNEY PLUS|DISNEYPLUS|PRIME VIDEO|AMAZON PRIME VIDEO|APPLE TV"),
    ("entertainment-tv-and-movies", "ZA KE NG GH UG TZ", "SHOWMAX|SHOWMAX.COM"),
    ("entertainment-tv-and-movies", "ZA", "STER-KINEKOR|NU METRO|STERKINEKOR ONLINE"),
    ("entertainment-tv-and-movies", "KE", "CENTURY CINEMAX|IMAX KENYA|ANGA CINEMAS"),
    ("entertainment-tv-and-movies", "NG GH",
     "FILMHOUSE CINEMAS|SILVERBIRD CINEMAS|GENESIS CINEMAS"),
    ("entertainment-tv-and-movies", "US",
     "HULU|MAX.COM|PEACOCK|PARAMOUNT+|AMC THEATRES|REGAL CINEMAS"),
    ("entertainment-tv-and-movies", "GB", "NOW TV|ODEON CINEMAS|VUE CINEMAS|CINEWORLD|BRITBOX"),
    ("entertainment-music-and-audio", "*",
     "SPOTIFY|SPOTIFY P|APPLE MUSIC|YOUTUBE MUSIC|DEEZER|TIDAL|SOUNDCLOUD|AUDIBLE"),
    ("entertainment-music-and-audio", "KE NG GH UG TZ ZA", "BOOMPLAY|AUDIOMACK|MDUNDO"),
    ("entertainment-video-games", "*",
     "STEAM PURCHASE|STEAMGAMES.COM|PLAYSTATION NETWORK|XBOX|MICROSOFT*XBOX|NINTENDO ESHOP"
     "|EPIC GAMES|ROBLOX|EA GAMES|RIOT GAMES"),
    ("entertainment-casinos-and-gambling", "KE",
     "SPORTPESA|BETIKA|ODIBETS|MOZZART BET|BETIKA LTD|SHABIKI"),
    ("entertainment-casinos-and-gambling", "NG", "BET9JA|SPORTYBET|NAIRABET|BETKING|1XBET"),
    ("entertainment-casinos-and-gambling", "GH", "SPORTYBET GH|BETWAY GHANA|SOCCERBET"),
    ("entertainment-casinos-and-gambling", "UG TZ", "BETWAY|FORTEBET|GAL SPORT BETTING|M-BET"),
    ("entertainment-casinos-and-gambling", "ZA",
     "HOLLYWOODBETS|BETWAY|SUPABETS|SUNBET|LOTTOSTAR|ITHUBA NATIONAL LOTTERY"),
    ("entertainment-casinos-and-gambling", "US", "DRAFTKINGS|FANDUEL|BETMGM|CAESARS SPORTSBOOK"),
    ("entertainment-casinos-and-gambling", "GB",
     "PADDY POWER|WILLIAM HILL|BET365|SKY BET|NATIONAL LOTTERY"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "*",
     "TICKETMASTER|CITY MUSEUM|NATIONAL MUSEUM|ZOO ENTRANCE|AQUARIUM|STADIUM TICKETS"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "ZA",
     "COMPUTICKET|QUICKET|GOLD REEF CITY|TWO OCEANS AQUARIUM|USHAKA MARINE WORLD|WEBTICKETS"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "KE",
     "NAIROBI NATIONAL MUSEUM|TICKETSASA|MOOKH TICKETS|GIRAFFE CENTRE"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "NG GH",
     "TIX.AFRICA|NIGERIA NATIONAL MUSEUM"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "US",
     "SIX FLAGS|DISNEYLAND|STUBHUB|SEATGEEK|UNIVERSAL STUDIOS"),
    ("entertainment-sporting-events-amusement-parks-and-museums", "GB EU",
     "BRITISH MUSEUM SHOP|ALTON TOWERS|SEE TICKETS|EVENTIM|LOUVRE BILLETTERIE"),
    ("entertainment-other-entertainment", "*", "PATREON|TWITCH|NIGHTCLUB|COMEDY CLUB|KARAOKE BAR"),
    ("general-merchandise-online-marketplaces", "*",
     "AMAZON.COM|AMAZON MKTPLACE|EBAY|ETSY.COM|ALIEXPRESS|TEMU.COM|WISH.COM"),
    ("general-merchandise-online-marketplaces", "ZA",
     "TAKEALOT|TAKEALOT.COM|BOB SHOP|AMAZON.CO.ZA"),
    ("general-merchandise-online-marketplaces", "KE", "JUMIA KENYA|KILIMALL|JIJI KENYA"),
    ("general-merchandise-online-marketplaces", "NG", "JUMIA NIGERIA|KONGA|JIJI.NG"),
    ("general-merchandise-online-marketplaces", "GH UG TZ", "JUMIA|JIJI|TONATON"),
    ("general-merchandise-online-marketplaces", "GB", "AMAZON.CO.UK|AMZNMKTPLACE|EBAY O*"),
    ("general-merchandise-online-marketplaces", "EU",
     "AMAZON.DE|AMAZON.FR|BOL.COM|ALLEGRO"),
    ("food-and-drink-restaurant", "*", "UBER EATS|UBER *EATS|BOLT FOOD|GLOVO"),
    ("food-and-drink-restaurant", "ZA", "MR D FOOD|MRD FOOD|UBEREATS ZA"),
    ("food-and-drink-restaurant", "NG", "CHOWDECK|JUMIA FOOD|HEYFOOD"),
    ("food-and-drink-restaurant", "US", "DOORDASH|GRUBHUB|POSTMATES"),
    ("food-and-drink-restaurant", "GB EU", "DELIVEROO|JUST EAT|TAKEAWAY.COM|LIEFERANDO"),
    ("transportation-taxis-and-ride-shares", "*",
     "UBER TRIP|UBER *TRIP|BOLT.EU|BOLT RIDE|INDRIVE|YANGO"),
    ("transportation-taxis-and-ride-shares", "KE", "LITTLE CAB|FARAS CABS|LITTLE RIDE"),
    ("transportation-taxis-and-ride-shares", "US", "LYFT RIDE|LYFT|YELLOW CAB|CURB MOBILITY"),
    ("transportation-taxis-and-ride-shares", "GB EU", "FREE NOW|ADDISON LEE|GETT|G7 TAXI"),
    ("transportation-minibus-and-motorbike-taxis", "KE UG", "SAFEBODA|BODA BODA|MATATU FARE"),
    ("transportation-minibus-and-motorbike-taxis", "NG", "GOKADA|DANFO FARE|KEKE NAPEP|OKADA RIDE"),
    ("transportation-minibus-and-motorbike-taxis", "GH", "TROTRO FARE|OKADA GH"),
    ("transportation-minibus-and-motorbike-taxis", "ZA",
     "MINIBUS TAXI FARE|TAXI RANK FARE|SANTACO"),
    ("transportation-minibus-and-motorbike-taxis", "TZ", "BODABODA|BAJAJI|DALADALA"),
    ("transportation-public-transit", "ZA",
     "GAUTRAIN|METRORAIL|MYCITI|REA VAYA|GOLDEN ARROW|PUTCO"),
    ("transportation-public-transit", "KE", "MADARAKA EXPRESS|SGR KENYA RAILWAYS|KENYA RAILWAYS"),
    ("transportation-public-transit", "NG", "LAGOS BRT|LAMATA COWRY|LAGOS METRO LINE|ABUJA RAIL"),
    ("transportation-public-transit", "US", "OMNY NYCT|BART CLIPPER|CTA VENTRA|WMATA|SEPTA"),
    ("transportation-public-transit", "GB",
     "TFL TRAVEL CH|TRAINLINE|NATIONAL RAIL|LNER|AVANTI WEST COAST"),
    ("transportation-public-transit", "EU", "SNCF|DB VERTRIEB|NS REIZIGERS|RENFE|TRENITALIA|RATP"),
    ("transportation-tolls", "ZA", "SANRAL|SANRAL ETOLL|N3TC TOLL|BAKWENA N1 N4|TRAC N4"),
    ("transportation-tolls", "KE NG", "NAIROBI EXPRESSWAY|LEKKI TOLL GATE|LCC TOLL"),
    ("transportation-tolls", "US", "E-ZPASS|FASTRAK|SUNPASS|NTTA TOLLTAG|EZPASSNY"),
    ("transportation-tolls", "GB EU",
     "DART CHARGE|M6TOLL|VINCI AUTOROUTES|AUTOSTRADE PER L'ITALIA"),
    ("transportation-parking", "*", "PARKING|CAR PARK|PARKADE|PAY AND DISPLAY"),
    ("transportation-parking", "US GB EU",
     "PARKMOBILE|PAYBYPHONE|RINGGO|NCP LTD|SPOTHERO|EASYPARK"),
    ("transportation-parking", "KE", "NAIROBI COUNTY PARKING|ECITIZEN PARKING"),
    ("transportation-bikes-and-scooters", "US GB EU",
     "LIME*RIDE|BIRD APP|TIER MOBILITY|VOI TECHNOLOGY|SANTANDER CYCLES|CITI BIKE|DOTT"),
    ("transportation-other-transportation", "*",
     "AIRPORT SHUTTLE|SHUTTLE SERVICE|AIRPORT TRANSFER|TRANSPORT SERVICES|CHAUFFEUR SERVICES"),
    ("travel-flights", "ZA", "FLYSAFAIR|SOUTH AFRICAN AIRWAYS|AIRLINK|LIFT AIRLINE|CEMAIR"),
    ("travel-flights", "KE UG TZ",
     "KENYA AIRWAYS|JAMBOJET|SAFARILINK|UGANDA AIRLINES|AIR TANZANIA|PRECISION AIR"),
    ("travel-flights", "NG GH",
     "AIR PEACE|ARIK AIR|IBOM AIR|UNITED NIGERIA AIRLINES|AFRICA WORLD AIRLINES"),
    ("travel-flights", "*",
     "EMIRATES|QATAR AIRWAYS|ETHIOPIAN AIRLINES|TURKISH AIRLINES|KLM|AIR FRANCE"),
    ("travel-flights", "US", "DELTA AIR|UNITED AIRLINES|AMERICAN AIR|SOUTHWEST AIRLINES|JETBLUE"),
    ("travel-flights", "GB EU", "BRITISH AIRWAYS|EASYJET|RYANAIR|LUFTHANSA|VUELING|WIZZ AIR"),
    ("travel-lodging", "*", "AIRBNB|AIRBNB * HM|BOOKING.COM|HOTELS.COM|GUEST HOUSE|LODGE"),
    ("travel-rental-cars", "*", "AVIS|HERTZ|EUROPCAR|BUDGET RENT A CAR|SIXT|ENTERPRISE RENT-A-CAR"),
    ("travel-rental-cars", "ZA",
     "FIRST CAR RENTAL|TEMPEST CAR HIRE|WOODFORD CAR HIRE|BLUU CAR RENTAL"),
    ("travel-other-travel", "*", "EXPEDIA|TRIP.COM|AIRPORT LOUNGE|TRAVEL AGENCY|SAFARI TOURS"),
    ("travel-other-travel", "ZA KE NG", "TRAVELSTART|BIDVEST PREMIER LOUNGE|WAKANOW|TOUR OPERATOR"),
    ("rent-and-utilities-gas-and-electricity", "ZA",
     "ESKOM|CITY POWER|PREPAID ELECTRICITY|ELECTRICITY TOKEN|ESKOM DIRECT"),
    ("rent-and-utilities-gas-and-electricity", "KE", "KPLC PREPAID|KPLC POSTPAID|KENYA POWER"),
    ("rent-and-utilities-gas-and-electricity", "NG",
     "IKEJA ELECTRIC|EKEDC|AEDC|IBEDC|PHED PREPAID|EKO ELECTRICITY"),
    ("rent-and-utilities-gas-and-electricity", "GH", "ECG POWER|ECG PREPAID|NEDCO"),
    ("rent-and-utilities-gas-and-electricity", "UG", "UMEME YAKA|UMEME LTD|UEDCL"),
    ("rent-and-utilities-gas-and-electricity", "TZ", "LUKU TANESCO|TANESCO|LIPA LUKU"),
    ("rent-and-utilities-gas-and-electricity", "US",
     "PG&E|CON EDISON|DUKE ENERGY|GEORGIA POWER|SOCALGAS"),
    ("rent-and-utilities-gas-and-electricity", "GB",
     "BRITISH GAS|OCTOPUS ENERGY|EDF ENERGY|OVO ENERGY|EON NEXT"),
    ("rent-and-utilities-water", "ZA", "JOBURG WATER|RAND WATER|CITY OF CAPE TOWN WATER"),
    ("rent-and-utilities-water", "KE", "NAIROBI CITY WATER|NAIROBI WATER|MOWASCO|KIWASCO"),
    ("rent-and-utilities-water", "NG GH", "LAGOS WATER CORPORATION|GHANA WATER|GWCL"),
    ("rent-and-utilities-water", "UG TZ", "NWSC|NATIONAL WATER|DAWASA|AUWSA"),
    ("rent-and-utilities-water", "US GB",
     "CITY WATER DEPT|THAMES WATER|UNITED UTILITIES|SEVERN TRENT"),
    ("rent-and-utilities-internet-and-cable", "ZA KE NG GH UG TZ",
     "DSTV|GOTV|STARTIMES|MULTICHOICE"),
    ("rent-and-utilities-internet-and-cable", "ZA",
     "VUMATEL|AFRIHOST|TELKOM FIBRE|MWEB|COOL IDEAS|OPENSERVE|WEBAFRICA"),
    ("rent-and-utilities-internet-and-cable", "KE", "ZUKU|SAFARICOM HOME FIBRE|FAIBA|JTL FAIBA"),
    ("rent-and-utilities-internet-and-cable", "NG GH", "SPECTRANET|SMILE 4G|IPNX|SWIFT NETWORKS"),
    ("rent-and-utilities-internet-and-cable", "*", "STARLINK|STARLINK INTERNET"),
    ("rent-and-utilities-internet-and-cable", "US",
     "COMCAST XFINITY|SPECTRUM|VERIZON FIOS|COX COMM"),
    ("rent-and-utilities-internet-and-cable", "GB",
     "BT BROADBAND|SKY DIGITAL|VIRGIN MEDIA|TALKTALK"),
    ("rent-and-utilities-telephone", "ZA", "VODACOM CONTRACT|MTN CONTRACT|CELL C|TELKOM MOBILE"),
    ("rent-and-utilities-telephone", "KE", "SAFARICOM POSTPAY|AIRTEL POSTPAID"),
    ("rent-and-utilities-telephone", "US", "VERIZON WIRELESS|T-MOBILE|AT&T MOBILITY|MINT MOBILE"),
    ("rent-and-utilities-telephone", "GB EU", "EE LIMITED|O2 UK|VODAFONE|THREE UK|GIFFGAFF|ORANGE"),
    ("rent-and-utilities-sewage-and-waste-management", "*",
     "REFUSE REMOVAL|WASTE COLLECTION|GARBAGE COLLECTION|SEPTIC TANK SERVICES"),
    ("rent-and-utilities-sewage-and-waste-management", "NG GH KE",
     "LAWMA|ZOOMLION|EXHAUSTER SERVICES|PSP WASTE"),
    ("rent-and-utilities-sewage-and-waste-management", "US GB",
     "WASTE MANAGEMENT|REPUBLIC SERVICES|BIFFA"),
    ("rent-and-utilities-other-utilities", "*", "UTILITY BILL|PREPAID UTILITIES|UTILITIES"),
    ("rent-and-utilities-other-utilities", "ZA",
     "CITY OF JOHANNESBURG MUNIC ACC|CITY OF TSHWANE MUNIC|ETHEKWINI MUNIC"),
    ("general-services-insurance", "ZA",
     "DISCOVERY HEALTH|OUTSURANCE|HOLLARD|OLD MUTUAL|SANLAM|MOMENTUM|KING PRICE|MIWAY"),
    ("general-services-insurance", "KE UG TZ",
     "JUBILEE INSURANCE|BRITAM|CIC INSURANCE|SHIF CONTRIBUTION|NHIF"),
    ("general-services-insurance", "NG GH",
     "AXA MANSARD|LEADWAY ASSURANCE|AIICO|ENTERPRISE INSURANCE"),
    ("general-services-insurance", "US",
     "GEICO|PROGRESSIVE INS|STATE FARM|ALLSTATE|LIBERTY MUTUAL"),
    ("general-services-insurance", "GB EU", "AVIVA|DIRECT LINE|ADMIRAL|ALLIANZ|AXA INSURANCE"),
    ("general-services-postage-and-shipping", "*", "DHL EXPRESS|FEDEX|UPS|ARAMEX"),
    ("general-services-postage-and-shipping", "ZA", "POSTNET|THE COURIER GUY|PAXI|SA POST OFFICE"),
    ("general-services-postage-and-shipping", "KE NG GH",
     "G4S COURIER|GIG LOGISTICS|SENDY|POSTA KENYA|NIPOST"),
    ("general-services-postage-and-shipping", "US GB", "USPS|ROYAL MAIL|EVRI|STAMPS.COM"),
    ("general-services-education", "ZA", "UNISA|WITS UNIVERSITY|UCT FEES|UNIVERSITY OF PRETORIA"),
    ("general-services-education", "KE",
     "UNIVERSITY OF NAIROBI|STRATHMORE UNIVERSITY|KCA UNIVERSITY"),
    ("general-services-education", "NG GH", "WAEC|JAMB|UNIVERSITY OF LAGOS|UNIVERSITY OF GHANA"),
    ("general-services-education", "*", "COURSERA|UDEMY|DUOLINGO|SCHOOL FEES|TUITION FEES"),
    ("general-services-other-general-services", "*",
     "GOOGLE STORAGE|GOOGLE *GOOGLE ONE|APPLE.COM ICLOUD|DROPBOX|CANVA|ZOOM.US|FACEBK ADS"
     "|GOOGLE ADS|MICROSOFT 365|CHATGPT SUBSCRIPTION|OPENAI"),
    ("general-services-accounting-and-financial-planning", "*",
     "TAX CONSULTANTS|ACCOUNTANTS|BOOKKEEPING SERVICES|TURBOTAX|H&R BLOCK"),
    ("general-services-consulting-and-legal", "*",
     "ATTORNEYS|ADVOCATES|SOLICITORS|LAW FIRM|LEGAL FEES|LEGALSHIELD|CONSULTING"),
    ("personal-care-other-personal-care", "*",
     "HEADSPACE|CALM.COM|BETTERHELP|TALKSPACE|COUNSELLING"),
    ("personal-care-gyms-and-fitness-centers", "ZA",
     "VIRGIN ACTIVE|PLANET FITNESS SA|FITNESS 24/7|SWEAT1000"),
    ("personal-care-gyms-and-fitness-centers", "*", "CLASSPASS|STRAVA|PELOTON|GYM MEMBERSHIP"),
    ("medical-other-medical", "ZA", "LANCET LABORATORIES|PATHCARE|AMPATH|NETCARE|MEDICLINIC|ER24"),
    ("medical-other-medical", "KE UG TZ",
     "AGA KHAN HOSPITAL|NAIROBI HOSPITAL|LANCET KENYA|MP SHAH HOSPITAL"),
    ("medical-other-medical", "NG GH",
     "LAGOON HOSPITAL|REDDINGTON HOSPITAL|SYNLAB NIGERIA|KORLE BU"),
    ("medical-other-medical", "US GB", "QUEST DIAGNOSTICS|LABCORP|AMBULANCE SERVICE|BUPA"),
    ("home-improvement-security", "*",
     "ADT SECURITY|FIDELITY ADT|CHUBB SECURITY|ARMED RESPONSE|ALARM MONITORING|SIMPLISAFE"),
    ("home-improvement-other-home-improvement", "*",
     "RENTOKIL|PEST CONTROL|FUMIGATION SERVICES|POOL SERVICE|TERMINIX|ORKIN"),
    ("government-and-non-profit-donations", "*",
     "UNICEF|RED CROSS|OXFAM|SAVE THE CHILDREN|GOFUNDME|JUSTGIVING|MSF DONATION"),
    ("government-and-non-profit-donations", "ZA KE", "GIFT OF THE GIVERS|M-CHANGA|KENYA RED CROSS"),
    ("loan-payments-personal-loan-payment", "US GB EU",
     "AFFIRM|KLARNA|AFTERPAY|CLEARPAY|PAYPAL PAY IN 4"),
    ("loan-payments-personal-loan-payment", "ZA", "PAYJUSTNOW|PAYFLEX|HAPPY PAY"),
    ("loan-payments-credit-card-payment", "US",
     "CHASE CREDIT CRD AUTOPAY|AMEX EPAYMENT|CAPITAL ONE MOBILE PMT|DISCOVER E-PAYMENT"),
    ("loan-payments-credit-card-payment", "GB", "BARCLAYCARD|AMEX PAYMENT|MBNA PAYMENT"),
    ("loan-payments-student-loan-payment", "US",
     "NAVIENT|NELNET|MOHELA|AIDVANTAGE|DEPT EDUCATION STUDENT LN"),
    ("loan-payments-student-loan-payment", "GB", "STUDENT LOANS CO|SLC REPAYMENT"),
    ("loan-payments-student-loan-payment", "KE", "HELB REPAYMENT|HELB LOAN"),
    ("loan-payments-car-payment", "ZA", "WESBANK|MFC INSTALMENT|ABSA VEHICLE FIN|SA TAXI FINANCE"),
    ("loan-payments-car-payment", "US GB EU",
     "TOYOTA FINANCIAL|FORD CREDIT|ALLY AUTO|BMW FINANCIAL|VW FINANCIAL SERVICES"),
    ("transfer-out-remittances-sent", "*",
     "WORLDREMIT|WESTERN UNION|MONEYGRAM|REMITLY|SENDWAVE|LEMFI|TAPTAP SEND"),
    ("transfer-out-remittances-sent", "ZA",
     "MUKURU|HELLO PAISA|MAMA MONEY|SHOPRITE MONEY TRANSFER"),
    ("transfer-out-investment-and-retirement-funds", "ZA",
     "EASYEQUITIES|SATRIX|ALLAN GRAY|10X INVESTMENTS"),
    ("transfer-out-investment-and-retirement-funds", "KE",
     "CIC MONEY MARKET|ETICA CAPITAL|SANLAM MMF|NDOVU INVEST"),
    ("transfer-out-investment-and-retirement-funds", "NG",
     "BAMBOO INVEST|RISEVEST|CHAKA|TROVE FINANCE"),
    ("transfer-out-investment-and-retirement-funds", "US GB EU",
     "ACORNS INVEST|BETTERMENT|ROBINHOOD|VANGUARD|FIDELITY INVEST|TRADING 212|VANGUARD ISA"),
    ("transfer-out-savings", "NG", "PIGGYVEST|COWRYWISE|KUDA SAVE"),
    ("general-merchandise-tobacco-and-vape", "*", "VAPE SHOP|TOBACCONIST|SMOKE SHOP|CIGAR LOUNGE"),
    ("general-merchandise-bookstores-and-newsstands", "*",
     "KINDLE SVCS|NEWSPAPER SUBSCRIPTION|NYTIMES|NATION EPAPER"),
    ("food-and-drink-vending-machines", "*",
     "VENDING|SNACK MACHINE|SELECTA|CANTEEN VENDING|COCA-COLA VENDING"),
    ("medical-nursing-care", "*",
     "NURSING HOME|CARE HOME|FRAIL CARE|HOME NURSING|HOSPICE|ASSISTED LIVING"),
    ("general-services-childcare", "*",
     "CRECHE|DAYCARE CENTRE|AFTERCARE|PLAYSCHOOL|NANNY SERVICES"),
    ("government-and-non-profit-government-departments-and-agencies", "ZA",
     "HOME AFFAIRS|CIPC|DEPT OF TRANSPORT|LICENSING DEPT|TRAFFIC FINES"),
    ("government-and-non-profit-government-departments-and-agencies", "KE",
     "ECITIZEN|NTSA|BRS KENYA|IMMIGRATION KENYA"),
    ("government-and-non-profit-government-departments-and-agencies", "NG GH",
     "NIS PASSPORT|FRSC|CAC NIGERIA|DVLA GHANA|NIMC"),
    ("government-and-non-profit-government-departments-and-agencies", "US GB EU",
     "DMV|DVLA|HM PASSPORT OFFICE|USCIS|VFS GLOBAL"),
    ("government-and-non-profit-tax-payment", "ZA", "SARS EFILING|SARS PAYMENT|SARS PAYE"),
    ("government-and-non-profit-tax-payment", "KE", "KRA ITAX|KRA PAYMENT|KRA TAX|HOUSING LEVY"),
    ("government-and-non-profit-tax-payment", "NG GH UG TZ", "FIRS|LIRS|GRA TAX|URA|TRA TAX"),
    ("government-and-non-profit-tax-payment", "US",
     "IRS USATAXPYMT|US TREASURY TAX|FRANCHISE TAX BD"),
    ("government-and-non-profit-tax-payment", "GB EU",
     "HMRC SELF ASSESSMENT|HMRC|COUNCIL TAX|FINANZAMT"),
    ("government-and-non-profit-other-government-and-non-profit", "*",
     "RESIDENTS ASSOCIATION|UNION DUES|ASSOCIATION FEES|PROFESSIONAL BODY SUBS"),
)
# fmt: on


def _ticket_line(
    rng: random.Random, market: str, name: str, category: str, clean: str
) -> CorpusLine:
    """Return an airline ticket line: carriers print a short name and the ticket number."""
    short = name[: rng.randint(8, 12)].rstrip()
    description = f"{short} {_digits(rng, 13)}"
    if rng.random() < 0.5:
        description += f" {rng.choice(MARKETS[market].cities)}"
    merchant = clean if rng.random() < 0.3 else None
    return CorpusLine(description, merchant, _amount(rng, category, market), category, "service")


def _service_lines(rng: random.Random) -> list[CorpusLine]:
    lines: list[CorpusLine] = []
    for category, where, names in SERVICES:
        markets = tuple(MARKETS) if where == "*" else tuple(where.split())
        for name in names.split("|"):
            for _ in range(max(10, 40 // len(markets))):
                market = rng.choice(markets)
                clean = name.title()
                if category == "travel-flights" and rng.random() < 0.35:
                    lines.append(_ticket_line(rng, market, name, category, clean))
                    continue
                if market == "ZA" and rng.random() < 0.3:
                    lines.append(_debit_order_line(rng, name, category, clean))
                    continue
                lines.append(_card_line(rng, market, name, category, clean, "service"))
    return lines


def _debit_order_line(rng: random.Random, name: str, category: str, clean: str) -> CorpusLine:
    """A South African debit order: the payee's abbreviated short name, then its reference.

    Banks print the user code's short name (at most 10-15 characters, often with the
    spaces squeezed out: ``OLDMUTUAL``, ``VIRGIN ACT``) glued to or followed by the
    contract reference and, for some, a collection date (``C/P05NOV``).
    """
    short = name.upper().replace("*", " ")
    if rng.random() < 0.5:
        short = short.replace(" ", "")
    short = short[: rng.randint(8, 15)].rstrip()
    reference = _digits(rng, rng.randint(8, 16))
    shape = rng.choice(
        (
            "{s}{r}",
            "{s} {r}",
            "{s}{r}C/P{d}",
            "{s} {r}:{r6}",
            "DEBIT ORDER {s} {r}",
            "NAEDO {s} {r}",
            "DEBICHECK {s} {r}",
            "{s} M{r}",
        )
    )
    day = f"{rng.randint(1, 28):02d}{rng.choice(('JAN', 'MAR', 'JUN', 'SEP', 'NOV', 'DEC'))}"
    description = " ".join(shape.format(s=short, r=reference, d=day, r6=_digits(rng, 6)).split())
    return CorpusLine(description, None, _amount(rng, category, "ZA"), category, "debit-order")


# --- Bank and wallet idioms ------------------------------------------------------------

# Merchants that foreign-transaction and card fee lines name; the line is the bank's fee.
# fmt: off
_FEE_MERCHANTS = (
    "SPOTIFY", "NETFLIX", "NETFLIX.COM", "UBER", "UBER *TRIP", "AMAZON", "AMZN MKTP",
    "APPLE.COM/BILL", "GOOGLE *YOUTUBE", "STEAM", "AIRBNB", "BOOKING.COM", "ALIEXPRESS",
    "OPENAI", "CHATGPT", "MICROSOFT", "ADOBE", "CANVA", "BOLT", "SHEIN", "TEMU", "EBAY",
    "PLAYSTATION", "DISNEY PLUS", "ZOOM.US", "DROPBOX", "EMIRATES", "RYANAIR", "PATREON",
)
# fmt: on

# (category, kind, markets, templates, lines per template). Templates use the fields of
# _FIELDS plus {S}, a merchant a fee line names.
# fmt: off
IDIOMS: tuple[tuple[str, str, str, str, int], ...] = (
    ("transfer-out-account-transfer", "transfer", "*", "TRANSFER|TRANSFER OUT|TRF", 30),
    ("transfer-in-account-transfer", "transfer", "*", "TRANSFER|TRANSFER IN|TRF", 30),
    # Platform payouts are income whatever the platform sells (the amount is positive):
    # gig work is wages; hosts, sellers and Stripe merchants are other income.
    ("income-wages", "income", "*",
     "{gig} DRIVER EARNINGS|{gig} PAYOUT {ref}|{gig} DRIVER PAYMENTS|{gig} COURIER PAYOUT"
     "|{gig} WEEKLY EARNINGS {dd/mm}", 30),
    ("income-wages", "wallet", "KE UG TZ",
     "Business Payment from {pb} - {gig} DRIVER EARNINGS|Business Payment from {pb} - {gig} PAYOUT",
     25),
    ("income-other-income", "income", "*",
     "{seller} PAYOUT {ref}|{seller} HOST PAYOUT {ref}|{seller} TRANSFER {ref}"
     "|{seller} SELLER PAYOUT", 25),
    ("bank-fees-mobile-money-fees", "wallet", "NG",
     "POS CASHOUT CHARGE {ref}|CASHOUT CHARGE {agent}|WITHDRAWAL CHARGE POS {t8}", 25),
    # A bare person's name is a transfer; the amount's sign says which way.
    ("transfer-out-account-transfer", "person", "*", "{person}|{person} {ref}", 60),
    ("transfer-in-account-transfer", "person", "*", "{person}|{person} {ref}", 60),
    ("transfer-out-account-transfer", "wallet", "KE",
     "Pay Bill to {pb} - {bank} Acc {acc}|Pay Bill to {pb} - {bank} BANK Acc {acc}", 40),
    ("transfer-out-savings", "transfer", "US GB",
     "ONLINE TRANSFER TO SAV {c4}|TRANSFER TO SAV XXXX{c4}|TO SAVINGS XXXX{c4}", 30),
    ("transfer-in-savings", "transfer", "US GB",
     "ONLINE TRANSFER FROM SAV {c4}|TRANSFER FROM SAV XXXX{c4}|FROM SAVINGS XXXX{c4}", 30),
    ("transfer-out-savings", "wallet", "KE UG TZ",
     "Customer Transfer to {phone} {person} CHAMA|CHAMA CONTRIBUTION {month}"
     "|Pay Bill to {pb} - {city} CHAMA Acc {acc}", 30),
    ("transfer-in-investment-and-retirement-funds", "transfer", "*",
     "{invest} WITHDRAWAL|{invest} REDEMPTION {ref}|UNIT TRUST REDEMPTION {ref}"
     "|MMF WITHDRAWAL {ref}|Business Payment from {pb} - {invest} MMF WITHDRAWAL", 25),
    ("transfer-out-withdrawal", "transfer", "NG",
     "MONIEPOINT POS WITHDRAWAL {t8}|OPAY POS CASH OUT {ref}|POS CASH WITHDRAWAL {city}"
     "|POS WITHDRAWAL AGENT {t8}|CASHOUT @ POS {agent}", 30),
    ("transfer-out-withdrawal", "wallet", "UG TZ GH",
     "Airtel Money withdraw agent {till}|MTN MoMo cash out agent {till}"
     "|AIRTEL MONEY WITHDRAW AGENT {till} {city}|Tigo Pesa cash out {till}", 30),
    ("rent-and-utilities-rent", "transfer", "*",
     "RENT FLAT {c3} {city}|STANDING ORDER RENT {person}|ACH DEBIT {employer} RENT"
     "|RENT {year} FLAT {c3}|APARTMENT RENT {month}", 30),
    ("rent-and-utilities-rent", "transfer", "EU",
     "MIETE {month}|LASTSCHRIFT MIETE {ref}|LOYER {month}|ALQUILER {month}|HUUR {month}"
     "|DAUERAUFTRAG MIETE {person}", 30),
    ("income-wages", "income", "EU",
     "GEHALT {employer}|SALAIRE {month} {employer}|NOMINA {employer}|SALARIS {employer}"
     "|LOHN {month} {employer}|SEPA GUTSCHRIFT LOHN {employer}|VIREMENT SALAIRE {employer}", 30),
    ("income-retirement-pension", "income", "GB", "DWP SP {ref}|DWP STATE PENSION {ref}", 30),
    ("government-and-non-profit-donations", "transfer", "*",
     "TITHE {church}|OFFERING {church}|{church} TITHE|{church} OFFERING {month}"
     "|DONATION {church}|SEED OFFERING {church}", 30),
    ("transfer-out-other-transfer-out", "transfer", "US GB ZA",
     "CHECK #{store}|CHEQUE {store}|CHQ {store}|CHECK PAID {store}", 25),
    ("transfer-in-cash-advances-and-loans", "loan", "US",
     "DAVE.COM ADVANCE {ref}|EARNIN TRANSFER {ref}|BRIGIT ADVANCE|MONEYLION INSTACASH", 25),
    ("rent-and-utilities-generator-fuel", "local", "NG GH KE",
     "{fuel} {city} DIESEL FOR GEN|POS PURCHASE {fuel} GENERATOR FUEL {city}"
     "|{fuel} JERRYCAN DIESEL|POS {fuel} {city} PETROL FOR GEN", 25),
    ("bank-fees-foreign-transaction-fees", "fee", "*",
     "FOREIGN TXN FEE: {S}|INTL TRANSACTION FEE {S}|FOREIGN TRANSACTION FEE {S}"
     "|INTERNATIONAL TRANSACTION FEE {S}|FX FEE {S}|CROSS BORDER FEE {S}"
     "|Foreign exchange fee - {S}|INTL POS FEE {S} {dd/mm}|FOREIGN CURRENCY FEE {S}", 60),
    ("bank-fees-foreign-transaction-fees", "fee", "GB",
     "NON-STERLING TRANSACTION FEE {S}|NON-STG TRANS FEE {S}|NON STERLING PURCHASE FEE", 50),
    ("bank-fees-foreign-transaction-fees", "fee", "US",
     "FOREIGN TRANSACTION FEE|INTL PURCHASE TRANSACTION FEE|FOREIGN TRANS FEE {mm/dd} {S}", 40),
    ("bank-fees-foreign-transaction-fees", "fee", "ZA KE NG",
     "#INT'L PMT FEE {S}|INTERNATIONAL CARD FEE {S}|FOREIGN CARD TXN COMMISSION {S}"
     "|DOLLAR CARD FX FEE {S}", 40),
    ("bank-fees-other-bank-fees", "fee", "*",
     "CARD FEE - {S}|CARD FEE {S}|CARD TRANSACTION FEE {S}|CARD SERVICE FEE"
     "|MONTHLY ACCOUNT FEE|SERVICE FEE|MONTHLY SERVICE FEE|ADMIN FEE|SMS NOTIFICATION FEE"
     "|CARD REPLACEMENT FEE|ACCOUNT MAINTENANCE FEE|CASH DEPOSIT FEE|STATEMENT FEE"
     "|EFT FEE {ref}|CHEQUE BOOK FEE", 45),
    ("bank-fees-other-bank-fees", "fee", "ZA",
     "#MONTHLY FEE|#SMS NOTIFY FEE|IMMEDIATE PAYMENT FEE|#CASH DEP FEE {city}|ADMIN CHARGE"
     "|BANK CHARGES|#DEBIT ORDER FEE|NOTIFIC FEE|PAYSHAP FEE|#EXCESS INT RECOVERED FEE", 40),
    ("bank-fees-other-bank-fees", "fee", "NG",
     "SMS ALERT CHARGES|STAMP DUTY {ref}|EMTL {ref}|ELECTRONIC MONEY TRANSFER LEVY {ref}"
     "|ACCOUNT MAINTENANCE CHARGE|VAT ON NIP CHARGE|NIP CHARGE {ref}|CARD MAINTENANCE FEE"
     "|COT CHARGE|TOKEN FEE", 50),
    ("bank-fees-other-bank-fees", "fee", "KE UG TZ GH",
     "EXCISE DUTY {ref}|LEDGER FEE|BANK CHARGES {month}|WITHDRAWAL TAX {ref}"
     "|SMS BANKING CHARGES|RTGS CHARGES {ref}|PESALINK CHARGE {ref}", 40),
    ("bank-fees-atm-fees", "fee", "*",
     "ATM FEE|ATM WITHDRAWAL FEE|CASH WITHDRAWAL FEE|NON-NETWORK ATM FEE"
     "|ATM BALANCE ENQUIRY FEE|OTHER BANK ATM FEE {bank}|ATM CASH FEE {city}"
     "|ATM WITHDRAWAL CHARGE {ref}", 45),
    ("bank-fees-atm-fees", "fee", "US",
     "NON-CHASE ATM FEE-WITH|ATM SURCHARGE {city}|OUT OF NETWORK ATM FEE"
     "|ATM FEE-WITHDRAWAL {mm/dd}", 30),
    ("bank-fees-insufficient-funds", "fee", "*",
     "INSUFFICIENT FUNDS FEE|NSF FEE|UNPAID ITEM FEE|RETURNED ITEM FEE"
     "|RETURNED PAYMENT FEE|NSF RETURNED ITEM {ref}|INSUFFICIENT FUNDS CHARGE {ref}", 40),
    ("bank-fees-insufficient-funds", "fee", "ZA",
     "UNPAID DEBIT ORDER FEE|NAEDO UNPAID FEE {ref}|DEBICHECK UNPAID FEE"
     "|DISHONOURED DEBIT ORDER FEE|#UNPAID FEE {ref}|RD CHEQUE FEE"
     "|UNPAID DEBIT FEE {employer}", 45),
    ("bank-fees-overdraft-fees", "fee", "*",
     "OVERDRAFT FEE|OD FEE|OVERDRAFT SERVICE FEE|OVERDRAFT ITEM FEE"
     "|UNARRANGED OVERDRAFT FEE {month}|OD LIMIT FEE|EXCESS FEE|OVERDRAFT FACILITY FEE"
     "|OVERDRAFT USAGE FEE", 40),
    ("bank-fees-interest-charge", "interest", "*",
     "INTEREST CHARGED|DEBIT INTEREST|PURCHASE INTEREST CHARGE|INTEREST ON CASH ADVANCE"
     "|FINANCE CHARGE|INTEREST CHARGE ON PURCHASES|DR INTEREST {month}"
     "|INTEREST CHARGED ON BALANCE|CARD INTEREST {month}|#DEBIT INTEREST {iso}"
     "|LOAN INTEREST CHARGED", 45),
    ("bank-fees-mobile-money-fees", "wallet", "KE",
     "Customer Transfer of Funds Charge|Pay Bill Charge|Withdrawal Charge"
     "|Transaction cost {mref}|Pay Merchant Charge|Customer Send Money Charge {mref}"
     "|Excise duty on M-PESA charge {mref}|Fuliza M-PESA access fee {mref}", 70),
    ("bank-fees-mobile-money-fees", "wallet", "GH",
     "E-Levy charge {ref}|E-LEVY {mref}|MoMo transfer fee {ref}|MoMo cash out fee"
     "|Electronic transfer levy {ref}", 60),
    ("bank-fees-mobile-money-fees", "wallet", "UG TZ",
     "MoMo withdrawal charge {ref}|Airtel Money transfer fee"
     "|Mobile money withdrawal tax {ref}|Tigo Pesa charges {mref}|M-Pesa charges {mref}"
     "|Airtel Money charge {mref}", 60),
    ("bank-fees-mobile-money-fees", "wallet", "NG",
     "Opay transfer fee {ref}|Palmpay charge {ref}|Moniepoint POS charge {ref}", 30),
    ("income-interest-earned", "interest", "*",
     "INTEREST EARNED|CREDIT INTEREST|INTEREST PAID|INT CREDIT {month}|GROSS INTEREST"
     "|SAVINGS INTEREST|Interest Payment|INTEREST CAPITALISED|CREDIT INTEREST {iso}"
     "|INTEREST ON SAVINGS {month}", 45),
    ("income-interest-earned", "interest", "KE ZA",
     "M-Shwari interest earned {mref}|#CREDIT INTEREST CAPITALISED"
     "|INTEREST ON FIXED DEPOSIT {acc}", 30),
    ("income-wages", "income", "*",
     "SALARY {employer}|SAL {month} {employer}|PAYROLL {employer}|{employer} PAYROLL"
     "|Salary Payment from {employer}|{employer} SALARY {month}|WAGES {employer}"
     "|NET PAY {employer}", 70),
    ("income-wages", "income", "KE",
     "Business Payment from {pb} - {employer} Salary via API"
     "|Salary Payment from {pb} - {employer}", 40),
    ("income-wages", "income", "NG",
     "NIP TRANSFER FROM {employer} SALARY|NIP/{employer}/SALARY {month}", 40),
    ("income-wages", "income", "US",
     "DIRECT DEP {employer}|{employer} DIR DEP PPD|PAYROLL DEPOSIT {employer}"
     "|UBER DRIVER PAYOUT|DOORDASH DASHER PAYOUT|LYFT DRIVER PAYMENT", 30),
    ("income-wages", "income", "GB",
     "BGC {employer} WAGES|{employer} BGC SALARY|DELIVEROO RIDER PAY", 30),
    ("income-wages", "income", "ZA KE NG",
     "UBER BV PAYOUT|BOLT DRIVER PAYOUT|GLOVO COURIER PAYOUT", 20),
    ("income-retirement-pension", "income", "*",
     "PENSION {employer}|PENSION PAYMENT|MONTHLY PENSION {month}|ANNUITY PAYMENT {ref}"
     "|RETIREMENT FUND PAYOUT", 40),
    ("income-retirement-pension", "income", "ZA KE GH GB",
     "GEPF PENSION|NSSF PENSION|SSNIT PENSION|DWP STATE PENSION|PENSIONS SERVICE", 30),
    ("income-tax-refund", "income", "*",
     "TAX REFUND {year}|TAX REFUND {ref}|INCOME TAX REFUND", 30),
    ("income-tax-refund", "income", "ZA KE US GB EU",
     "SARS TAX REFUND|SARS REFUND {ref}|KRA REFUND {ref}|IRS TREAS 310 TAX REF"
     "|STATE TAX REFUND|HMRC TAX REFUND|FINANZAMT ERSTATTUNG", 30),
    ("income-unemployment", "income", "ZA US GB EU",
     "UIF PAYMENT|DEPT OF LABOUR UIF {ref}|UIF BENEFIT {month}|EDD UI BENEFITS"
     "|UNEMPLOYMENT BENEFIT|NYS DOL UI DD|DWP JSA|ARBEITSAGENTUR ALG"
     "|UNEMPLOYMENT INSURANCE {ref}", 40),
    ("income-dividends", "income", "*",
     "DIVIDEND {employer}|DIV PAYMENT {ref}|DIVIDEND CREDIT|ORDINARY DIVIDEND {ref}"
     "|DIVIDEND PAYMENT {month}|EASYEQUITIES DIVIDEND|CASH DIVIDEND {ref}"
     "|SAFARICOM DIVIDEND", 40),
    ("income-other-income", "income", "*",
     "AIRBNB PAYOUT|STRIPE PAYOUT|SHOPIFY PAYOUT|ETSY PAYOUT|RENTAL INCOME {person}"
     "|CHILD SUPPORT {person}|BETWAY WINNINGS|GAMBLING WINNINGS {ref}", 40),
    ("income-other-income", "income", "ZA",
     "SASSA GRANT|SASSA SRD {ref}|SASSA CHILD GRANT|SASSA OLD AGE GRANT", 40),
    ("income-other-income", "income", "KE GH",
     "INUA JAMII {ref}|Business Payment from {pb} - SPORTPESA LTD WITHDRAWAL"
     "|Business Payment from {pb} - BETIKA WITHDRAWAL|LEAP GRANT {ref}", 30),
    ("income-other-income", "income", "US GB",
     "SSA TREAS 310 XXSOC SEC|CHILD BENEFIT|HMRC CHILD BENEFIT", 30),
    ("transfer-in-account-transfer", "transfer", "*",
     "TRANSFER FROM {person}|RECEIVED FROM {person}|INWARD TRANSFER {person}"
     "|INTERNAL TRANSFER FROM {acc}|Transfer from {person} {ref}|CREDIT TRANSFER {person}", 60),
    ("transfer-in-account-transfer", "wallet", "KE",
     "Funds received from {phone} {person}|Funds received from {phone} - {person}"
     "|PesaLink from {bank} {person}", 70),
    ("transfer-in-account-transfer", "transfer", "NG",
     "NIP TRANSFER FROM {person}|NIP/{bank}/{person}|TRF FROM {person} {ref}"
     "|Transfer from {person} via {bank}", 60),
    ("transfer-in-account-transfer", "wallet", "GH UG TZ",
     "MoMo received from {person} {phone}|Cash in from {person}"
     "|Received from {phone} {person}|Airtel Money received from {person}"
     "|Umepokea pesa kutoka {person} {phone}", 60),
    ("transfer-in-account-transfer", "transfer", "ZA",
     "FNB APP TRANSFER FROM {person}|PAYSHAP FROM {person}|CAPITEC TRANSFER {person}"
     "|ACB CREDIT {person}|INSTANT PAYMENT FROM {person}|MAGTAPE CREDIT {person}", 50),
    ("transfer-in-account-transfer", "transfer", "US",
     "ZELLE FROM {person}|VENMO CASHOUT|PAYPAL TRANSFER|CASH APP*{person}"
     "|ONLINE TRANSFER FROM CHK {c4}", 50),
    ("transfer-in-account-transfer", "transfer", "GB EU",
     "FASTER PAYMENT FROM {person}|FPI {person} {ref}|SEPA CREDIT {person}"
     "|GUTSCHRIFT {person}|FROM {person} MONZO", 50),
    ("transfer-in-deposit", "transfer", "*",
     "CASH DEPOSIT|ATM DEPOSIT {city}|DEPOSIT BRANCH {city}|CHEQUE DEPOSIT|CASH DEP {city}"
     "|COUNTER CREDIT {ref}", 40),
    ("transfer-in-deposit", "wallet", "KE UG TZ GH",
     "Deposit of Funds at Agent Till {till} - {agent}|Cash deposit at agent {agent}"
     "|Deposit at agent {till}", 40),
    ("transfer-in-deposit", "transfer", "US",
     "MOBILE CHECK DEPOSIT|ATM CHECK DEPOSIT {mm/dd}|REMOTE DEPOSIT", 20),
    ("transfer-in-savings", "transfer", "*",
     "TRANSFER FROM SAVINGS|FROM SAVINGS POCKET|FROM SAVINGS {acc}"
     "|SAVINGS WITHDRAWAL {ref}", 30),
    ("transfer-in-savings", "wallet", "KE NG GB",
     "M-Shwari Withdraw {mref}|KCB M-PESA Withdraw {mref}|PIGGYVEST WITHDRAWAL"
     "|COWRYWISE WITHDRAWAL|SACCO WITHDRAWAL {ref}|FROM INSTANT ACCESS SAVER"
     "|POT WITHDRAWAL", 40),
    ("transfer-in-investment-and-retirement-funds", "transfer", "*",
     "CONTRIBUTION RECEIVED {ref}|ROLLOVER CONTRIBUTION|EMPLOYER CONTRIBUTION {employer}"
     "|TFSA CONTRIBUTION RECEIVED|ISA SUBSCRIPTION RECEIVED|401K CONTRIBUTION {employer}", 30),
    ("transfer-in-cash-advances-and-loans", "loan", "*",
     "LOAN DISBURSEMENT {ref}|PERSONAL LOAN PAYOUT|CASH ADVANCE|LOAN PAYOUT {acc}"
     "|LOAN CREDIT {ref}", 30),
    ("transfer-in-cash-advances-and-loans", "wallet", "KE",
     "M-Shwari Loan Disbursement {mref}|OverDraft of Credit Party FULIZA M-PESA {mref}"
     "|Business Payment from {pb} - TALA KENYA via API"
     "|Business Payment from {pb} - BRANCH INTERNATIONAL via API|KCB M-PESA Loan {mref}"
     "|Business Payment from {pb} - ZENKA via API", 50),
    ("transfer-in-cash-advances-and-loans", "loan", "NG GH UG TZ",
     "CARBON LOAN DISBURSEMENT|FAIRMONEY LOAN CREDIT|PALMCREDIT LOAN|MoKash loan {ref}"
     "|Qwikloan {ref}|Songesha {mref}|Timiza loan {mref}|RENMONEY DISBURSEMENT", 40),
    ("transfer-in-other-transfer-in", "transfer", "*",
     "REVERSAL {ref}|CREDIT ADJUSTMENT {ref}|CASHBACK REWARD|CHARGEBACK CREDIT {ref}"
     "|PROVISIONAL CREDIT|Reversal of transaction {mref}|REFUND REVERSAL {ref}", 35),
    ("transfer-in-remittances-received", "transfer", "*",
     "WORLDREMIT FROM {person}|WESTERN UNION {person} {ref}|INTL TRANSFER FROM {person}"
     "|MUKURU PAYOUT {ref}|LEMFI CREDIT {person}|SENDWAVE FROM {person}"
     "|REMITTANCE RECEIVED {person}|M-PESA GLOBAL RECEIVE {mref}", 50),
    ("transfer-out-account-transfer", "transfer", "*",
     "TRANSFER TO {person}|PAYMENT TO {person}|INTERNAL TRANSFER TO {acc}"
     "|Transfer to {person} {ref}", 60),
    ("transfer-out-account-transfer", "wallet", "KE",
     "Customer Transfer to {phone} {person}|Customer Transfer to {phone} - {person}"
     "|Send Money {person} {phone}|PesaLink to {bank} {person}", 70),
    ("transfer-out-account-transfer", "transfer", "NG",
     "NIP TRANSFER TO {person}|NIP/{bank}/{person}/{ref}|TRF TO {person} {ref}"
     "|Transfer to {person} {bank}|MOBILE TRF TO {person}|Opay Transfer to {person}", 60),
    ("transfer-out-account-transfer", "wallet", "GH UG TZ",
     "MoMo transfer to {person} {phone}|Transfer to {phone} {person}"
     "|Airtel Money sent to {person}|Umetuma pesa kwa {person} {phone}"
     "|Send money to {person}", 60),
    ("transfer-out-account-transfer", "transfer", "ZA",
     "FNB APP PAYMENT TO {person}|ABSA BANKING APP TRF {person}|CAPITEC PAYMENT {person}"
     "|PAYSHAP TO {person}|IB PAYMENT TO {person}|DIGITAL PAYMENT DR {person}"
     "|INSTANT PAYMENT TO {person}|Send Cash {phone}", 60),
    ("transfer-out-account-transfer", "transfer", "US",
     "ZELLE TO {person}|VENMO PAYMENT {person}|CASH APP*{person}"
     "|ONLINE TRANSFER TO CHK {c4}", 40),
    ("transfer-out-account-transfer", "transfer", "GB EU",
     "FASTER PAYMENT TO {person}|FPO {person} {ref}|SO {person}|SEPA UBERWEISUNG {person}"
     "|VIREMENT {person}", 50),
    ("transfer-out-withdrawal", "transfer", "*",
     "ATM WITHDRAWAL {bank} {city}|CASH WITHDRAWAL {city}|ATM CASH {t4} {city}"
     "|ATM W/D {city}|Cash Withdrawal {iso}|ATM WITHDRAWAL {ref}|ATM WDL {t4} {city}", 50),
    ("transfer-out-withdrawal", "wallet", "KE UG TZ GH",
     "Customer Withdrawal At Agent Till {till} - {agent}|MoMo Cash Out {agent}"
     "|Cash out at agent {till}|Withdrawal at agent {agent}|Umetoa pesa kwa wakala {till}", 60),
    ("transfer-out-withdrawal", "transfer", "EU",
     "Bargeldauszahlung {city}|RETRAIT DAB {city}|GELDAUTOMAAT {city}", 30),
    ("transfer-out-savings", "transfer", "*",
     "TRANSFER TO SAVINGS|TO SAVINGS POCKET {ref}|SAVE POCKET|TO SAVINGS ACC {acc}"
     "|AUTO SAVE {month}", 40),
    ("transfer-out-savings", "wallet", "KE UG",
     "M-Shwari Deposit {mref}|KCB M-PESA Lock Savings {mref}|SACCO DEPOSIT {ref}"
     "|Pay Bill to {pb} - {city} SACCO Acc {acc}", 50),
    ("transfer-out-investment-and-retirement-funds", "transfer", "*",
     "RETIREMENT ANNUITY {ref}|UNIT TRUST CONTRIBUTION|INVESTMENT CONTRIBUTION {ref}"
     "|MONEY MARKET FUND TOPUP", 30),
    ("transfer-out-other-transfer-out", "transfer", "*",
     "MISC DEBIT {ref}|MANUAL DEBIT ADJUSTMENT|DEBIT ADJUSTMENT {ref}|OTHER DEBIT {ref}"
     "|SUNDRY DEBIT", 35),
    ("transfer-out-remittances-sent", "transfer", "*",
     "Send Money Abroad {person}|INTL TRANSFER TO {person}|M-PESA GLOBAL SEND {mref}"
     "|WORLDREMIT TO {person}", 40),
    ("loan-payments-personal-loan-payment", "debit-order", "*",
     "LOAN REPAYMENT {ref}|PERSONAL LOAN INSTALMENT|LOAN INSTALMENT {acc}"
     "|PERSONAL LOAN PMT {ref}", 35),
    ("loan-payments-personal-loan-payment", "wallet", "KE",
     "Pay Bill to {pb} - TALA Acc {phone}|OD Loan Repayment to {pb} - M-PESA Overdraw"
     "|M-Shwari Loan Repayment {mref}|Pay Bill to {pb} - BRANCH Acc {phone}"
     "|KCB M-PESA Loan Repayment {mref}", 50),
    ("loan-payments-personal-loan-payment", "loan", "NG GH UG",
     "FAIRMONEY REPAYMENT|CARBON REPAYMENT {ref}|PALMCREDIT REPAYMENT"
     "|MoKash repayment {ref}|Qwikloan repayment {ref}", 35),
    ("loan-payments-personal-loan-payment", "debit-order", "ZA",
     "NAEDO {bank} PERS LOAN {ref}|DEBICHECK {bank} LOAN {ref}|AFRICAN BANK LOAN {ref}"
     "|DIRECTAXIS {ref}", 40),
    ("loan-payments-mortgage-payment", "debit-order", "*",
     "HOME LOAN {acc}|MORTGAGE PAYMENT|HOME LOAN INSTALMENT {acc}|MORTGAGE {bank} {ref}", 30),
    ("loan-payments-mortgage-payment", "debit-order", "ZA GB US",
     "BOND PAYMENT {bank}|{bank} HOME LOAN|ROCKET MORTGAGE|NATIONWIDE MORTGAGE"
     "|MTG PMT {ref}", 30),
    ("loan-payments-car-payment", "debit-order", "*",
     "VEHICLE FINANCE {ref}|CAR LOAN REPAYMENT|AUTO LOAN PMT {ref}"
     "|VEHICLE INSTALMENT {acc}", 30),
    ("loan-payments-car-payment", "debit-order", "ZA",
     "NAEDO WESBANK {ref}|DEBICHECK MFC {ref}|DEBIT ORDER WESBANK {ref}", 30),
    ("loan-payments-credit-card-payment", "transfer", "*",
     "CREDIT CARD PAYMENT|CC PAYMENT {c4}|PAYMENT TO CREDIT CARD {c4}|CARD REPAYMENT {ref}"
     "|CREDIT CARD AUTOPAY", 40),
    ("loan-payments-student-loan-payment", "debit-order", "US GB KE",
     "STUDENT LOAN PMT {ref}|STUDENT LOAN REPAYMENT|HELB REPAYMENT {ref}", 30),
    ("loan-payments-other-payment", "debit-order", "*",
     "DEBT REVIEW PAYMENT {ref}|HIRE PURCHASE INSTALMENT|INSTALMENT {ref}"
     "|ACCOUNT INSTALMENT {acc}|STORE ACCOUNT PAYMENT {ref}|LAYBY PAYMENT {ref}"
     "|DEBT COLLECTOR PAYMENT {ref}", 35),
    ("general-services-insurance", "debit-order", "ZA",
     "NAEDO {employer} INSURANCE {ref}|DEBICHECK FUNERAL COVER {ref}"
     "|DEBIT ORDER INSURANCE {ref}|FUNERAL POLICY {ref}|LIFE COVER PREMIUM {ref}"
     "|SHORT TERM INS {ref}", 40),
    ("general-services-insurance", "debit-order", "*",
     "INSURANCE PREMIUM {ref}|POLICY PREMIUM {acc}|CAR INSURANCE {month}"
     "|HEALTH INSURANCE {ref}", 30),
    ("personal-care-gyms-and-fitness-centers", "debit-order", "ZA",
     "NAEDO VIRGIN ACTIVE {ref}|DEBICHECK PLANET FITNESS {ref}|GYM DEBIT ORDER {ref}", 20),
    ("rent-and-utilities-rent", "transfer", "*",
     "RENT {month}|RENT {month} {year}|HOUSE RENT {person}|RENTAL {month} UNIT {store}"
     "|LANDLORD {person}|TRANSFER TO {person} RENT|MONTHLY RENT {acc}", 45),
    ("rent-and-utilities-rent", "wallet", "KE UG TZ",
     "Pay Bill to {pb} - {city} APARTMENTS Acc RENT"
     "|Customer Transfer to {phone} {person} RENT"
     "|Pay Bill to {pb} - {employer} RENT Acc {store}", 40),
    ("rent-and-utilities-gas-and-electricity", "wallet", "KE",
     "Pay Bill to 888880 - KPLC PREPAID Acc. {acc}|KPLC PREPAID TOKEN {ref}"
     "|Pay Bill to 888888 - KPLC POSTPAID Acc {acc}", 40),
    ("rent-and-utilities-gas-and-electricity", "transfer", "NG GH UG TZ ZA",
     "PREPAID ELECTRICITY {acc}|ELECTRICITY TOKEN {ref}|POWER TOKEN {acc}"
     "|Electricity purchase {acc}|LUKU {acc}|YAKA TOKEN {acc}|ECG PREPAID {acc}"
     "|IKEDC PREPAID {acc}", 45),
    ("rent-and-utilities-water", "wallet", "KE UG TZ",
     "Pay Bill to {pb} - NAIROBI CITY WATER Acc {acc}|NWSC BILL {acc}|DAWASA BILL {acc}"
     "|WATER BILL {acc}", 35),
    ("rent-and-utilities-airtime-and-data", "wallet", "KE UG TZ GH",
     "Airtime Purchase {phone}|Buy Bundles Online {ref}|Airtime for {phone}"
     "|Bought airtime {phone}|Safaricom data bundles {ref}|MTN airtime {phone}"
     "|Airtel bundle {ref}|Tigo bundle {ref}", 60),
    ("rent-and-utilities-airtime-and-data", "transfer", "NG",
     "AIRTIME {phone}|MTN AIRTIME VTU {phone}|GLO DATA {phone}|AIRTEL DATA {phone}"
     "|9MOBILE RECHARGE {phone}|Airtime purchase MTN {phone}|Data purchase {phone}"
     "|AIRTEL VTU {phone}|GLO VTU {phone}|MTN VTU {phone}|9MOBILE VTU {phone}", 60),
    ("rent-and-utilities-airtime-and-data", "transfer", "ZA",
     "VODACOM PREPAID AIRTIME {phone}|MTN PREPAID {phone}|PREPAID AIRTIME {phone}"
     "|DATA BUNDLE {phone}|CELL C AIRTIME {phone}|TELKOM PREPAID DATA {phone}"
     "|FNB APP PREPAID AIRTIME {phone}", 50),
    ("rent-and-utilities-airtime-and-data", "transfer", "US GB EU",
     "MOBILE TOP UP {phone}|PREPAID TOP-UP {phone}|LEBARA TOP UP|LYCAMOBILE TOPUP", 20),
    ("rent-and-utilities-cooking-fuel", "local", "KE NG GH UG TZ ZA",
     "LPG REFILL {city}|GAS REFILL 13KG|GAS REFILL 6KG {city}|CHARCOAL {city}"
     "|PARAFFIN {city}|K-GAS REFILL|PRO GAS {city}|TOTAL GAS {c3}KG REFILL|AFRIGAS {city}"
     "|GAS CYLINDER REFILL|COOKING GAS {city}"
     "|Merchant Payment to {till} - {agent} GAS POINT", 45),
    ("rent-and-utilities-generator-fuel", "local", "NG GH KE UG TZ ZA",
     "DIESEL FOR GEN|GENERATOR FUEL {city}|PETROL FOR GENERATOR|GEN DIESEL {ref}"
     "|DIESEL DELIVERY GENERATOR|FUEL FOR GENERATOR {city}"
     "|TRANSFER TO {person} DIESEL FOR GEN|Customer Transfer to {phone} {person} GEN FUEL", 45),
    ("rent-and-utilities-water-purchase", "local", "KE NG GH UG TZ ZA",
     "WATER BOWSER {city}|WATER VENDOR {person}|WATER KIOSK {city}|WATER DELIVERY {city}"
     "|BOREHOLE WATER {city}|WATER TANKER {ref}|PURE WATER SACHET"
     "|Customer Transfer to {phone} {person} WATER BOWSER"
     "|Merchant Payment to {till} - {agent} WATER POINT", 45),
    ("rent-and-utilities-sewage-and-waste-management", "local", "*",
     "REFUSE REMOVAL {acc}|WASTE COLLECTION {month}|SEWERAGE {acc}|SANITATION FEE {acc}"
     "|EXHAUSTER SERVICE {city}", 30),
    ("rent-and-utilities-other-utilities", "local", "*",
     "MUNICIPAL ACCOUNT {acc}|UTILITY BILL {acc}|SERVICE CHARGE {city} ESTATE"
     "|MUNIC ACC {acc}|UTILITIES {month}", 30),
    ("government-and-non-profit-tax-payment", "transfer", "*",
     "TAX PAYMENT {ref}|PROPERTY TAX {acc}|INCOME TAX {year}|PAYE {month}"
     "|VAT PAYMENT {ref}|RATES AND TAXES {acc}", 35),
    ("government-and-non-profit-donations", "transfer", "*",
     "DONATION {ref}|TITHE {month}|OFFERING {ref}|CHURCH OFFERING|MOSQUE DONATION"
     "|ZAKAT {year}|CHARITY DONATION", 40),
    ("government-and-non-profit-donations", "wallet", "KE",
     "Pay Bill to {pb} - {city} CHURCH Acc TITHE|Pay Bill to {pb} - M-CHANGA Acc {ref}"
     "|HARAMBEE CONTRIBUTION {person}", 30),
    ("transportation-minibus-and-motorbike-taxis", "wallet", "KE UG",
     "Customer Transfer to {phone} {person} BODA"
     "|Pay Bill to {pb} - {city} MATATU SACCO Acc {ref}"
     "|Merchant Payment to {till} - {person} BODA|Buy Goods {person} MATATU", 40),
)
# fmt: on


# Idiom counts above are relative; this scales them to the corpus size we want.
_IDIOM_SCALE = 2


# Bank-generated lines often carry the period or date they are for.
_DATED_KINDS = ("fee", "interest", "debit-order", "income", "wallet")
_DATE_SUFFIXES = (" {month} {year}", " FOR {month} {year}", " {dd/mm}", " {iso}", " {month}")


def _idiom_lines(rng: random.Random) -> list[CorpusLine]:
    lines: list[CorpusLine] = []
    for category, kind, where, templates, count in IDIOMS:
        markets = tuple(MARKETS) if where == "*" else tuple(where.split())
        for template in templates.split("|"):
            for _ in range(count * _IDIOM_SCALE):
                market = rng.choice(markets)
                text = _fill(template, rng, market, S=rng.choice(_FEE_MERCHANTS))
                if kind in _DATED_KINDS and rng.random() < 0.25:
                    text += _fill(rng.choice(_DATE_SUFFIXES), rng, market)
                lines.append(
                    CorpusLine(
                        _case(rng, text) if rng.random() < 0.15 else text,
                        None,
                        _amount(rng, category, market),
                        category,
                        kind,
                    )
                )
    return lines


# --- Local merchants named by a telling word -------------------------------------------

# (category, words): a local business is printed as "<prefix> <WORD>" in the market's
# card or wallet shapes.
# fmt: off
LOCAL_WORDS: tuple[tuple[str, str], ...] = (
    ("food-and-drink-groceries",
     "SUPERMARKET|MINI MARKET|MINIMARKET|BUTCHERY|BUTCHER|FRESH PRODUCE|GREENGROCER|FRUIT & VEG"
     "|GROCERS|GROCERY|CASH AND CARRY|FOODS|MEAT MARKET|SUPERMARKT|EPICERIE|MAMA MBOGA|FARM SHOP"
     "|FARMERS MARKET|SPAZA SHOP|PROVISION STORE|WHOLESALERS|HYPERMARKET"),
    ("food-and-drink-coffee",
     "CAFE|COFFEE|COFFEE SHOP|ESPRESSO BAR|COFFEE HOUSE|ROASTERS|KAFFEE|CAFFE"),
    ("food-and-drink-restaurant",
     "RESTAURANT|GRILL|BISTRO|STEAKHOUSE|TAVERN|BAR & GRILL|PUB|BRASSERIE|TRATTORIA|KITCHEN"
     "|EATERY|SUSHI|CHOP HOUSE|NYAMA CHOMA|BUKA|CHOP BAR|SHISANYAMA|RESTAURA|LOUNGE & GRILL|DINER"),
    ("food-and-drink-fast-food",
     "TAKEAWAY|TAKE AWAY|FAST FOOD|CHICKEN & CHIPS|BURGERS|PIZZA|KEBAB|FRIED CHICKEN|SHAWARMA"),
    ("food-and-drink-other-food-and-drink",
     "BAKERY|DELI|CONFECTIONERY|ICE CREAM|JUICE BAR|PATISSERIE|DONUTS|SWEETS|CAKES|SMOOTHIE"),
    ("food-and-drink-beer-wine-and-liquor",
     "BOTTLE STORE|LIQUOR STORE|WINES & SPIRITS|BOTTLE SHOP|OFF LICENCE|LIQUORS|WINE SHOP"
     "|BEER DEPOT|LIQUOR MART"),
    ("general-merchandise-convenience-stores",
     "CONVENIENCE STORE|MINI MART|CORNER SHOP|GENERAL DEALER|KIOSK|DUKA|SUPERETTE"
     "|FOOD & FUEL SHOP"),
    ("general-merchandise-clothing-and-accessories",
     "BOUTIQUE|FASHION|CLOTHING|SHOES|TAILORS|JEWELLERS|OUTFITTERS|MITUMBA"),
    ("general-merchandise-electronics",
     "ELECTRONICS|PHONE SHOP|COMPUTERS|MOBILE ACCESSORIES|TECH STORE|ELECTRICALS & APPLIANCES"),
    ("general-merchandise-gifts-and-novelties",
     "FLORIST|FLOWERS|GIFT SHOP|GIFTS|PHOTO STUDIO|CARDS & GIFTS"),
    ("general-merchandise-office-supplies",
     "STATIONERS|STATIONERY|OFFICE SUPPLIES|PRINT SHOP|CYBER CAFE PRINTING"),
    ("general-merchandise-bookstores-and-newsstands",
     "BOOKSHOP|BOOKSTORE|BOOKS|NEWSAGENT|NEWS STAND"),
    ("general-merchandise-pet-supplies", "PET SHOP|PET STORE|PET SUPPLIES|AQUARIUM SHOP|PET FOOD"),
    ("general-merchandise-sporting-goods",
     "SPORTS|SPORTS SHOP|CYCLES|OUTDOOR GEAR|CAMPING|FISHING TACKLE"),
    ("general-merchandise-tobacco-and-vape", "VAPE|TOBACCONIST|SMOKE SHOP|HOOKAH|CIGARS"),
    ("general-merchandise-discount-stores",
     "DISCOUNT STORE|BARGAIN STORE|DOLLAR STORE|FACTORY SHOP|POUND SHOP|CHINA MALL"),
    ("general-merchandise-department-stores", "DEPARTMENT STORE|DEPT STORE"),
    ("general-merchandise-other-general-merchandise",
     "TOYS|HOBBIES|CRAFTS|ART SUPPLIES|PARTY SHOP|MUSIC INSTRUMENTS"),
    ("home-improvement-hardware",
     "HARDWARE|HARDWARE & ELECTRICALS|BUILDERS MERCHANTS|PAINTS|TIMBER|BUILDING MATERIALS"
     "|PLUMBING SUPPLIES|STEEL & CEMENT"),
    ("home-improvement-furniture", "FURNITURE|FURNISHERS|BEDS|HOME DECOR|CURTAINS|MATTRESS"),
    ("home-improvement-repair-and-maintenance",
     "PLUMBING|ELECTRICIAN|ROOFING|HANDYMAN|GARDEN SERVICES|NURSERY|GENERATOR REPAIR"
     "|BOREHOLE REPAIR"),
    ("medical-pharmacies-and-supplements",
     "PHARMACY|CHEMIST|PHARMACEUTICALS|PHARMAC|APOTHEKE|DRUG STORE|HEALTH SHOP"),
    ("medical-dental-care", "DENTAL|DENTIST|DENTAL CLINIC|ORTHODONTICS|DENTAL SURGERY"),
    ("medical-eye-care", "OPTOMETRIST|OPTICIANS|EYE CLINIC|OPTICAL|SPECSAVERS"),
    ("medical-primary-care",
     "MEDICAL CENTRE|CLINIC|GP SURGERY|FAMILY PRACTICE|DR|MEDICAL PRACTICE|HEALTH CENTRE"
     "|DISPENSARY"),
    ("medical-veterinary-services", "VET|VET CLINIC|ANIMAL HOSPITAL|VETERINARY|VETS"),
    ("medical-other-medical", "HOSPITAL|LABORATORY|RADIOLOGY|PHYSIOTHERAPY|DIAGNOSTICS|MATERNITY"),
    ("personal-care-hair-and-beauty",
     "SALON|HAIR SALON|BARBER|BARBERSHOP|BEAUTY|NAIL BAR|SPA|HAIR & BEAUTY|COSMETICS|MASSAGE"),
    ("personal-care-laundry-and-dry-cleaning", "LAUNDRY|DRY CLEANERS|LAUNDROMAT|WASH & FOLD"),
    ("personal-care-gyms-and-fitness-centers",
     "GYM|FITNESS|CROSSFIT|YOGA STUDIO|PILATES|HEALTH CLUB|BOXING CLUB"),
    ("personal-care-other-personal-care", "TATTOO|WELLNESS|THERAPY|PSYCHOLOGIST"),
    ("general-services-automotive",
     "AUTO REPAIRS|PANEL BEATERS|TYRES|CAR WASH|TOWING|MECHANIC|MOTORS SERVICE|AUTO SPARES"
     "|EXHAUST CENTRE|CAR WASH & VALET"),
    ("general-services-childcare", "CRECHE|DAYCARE|NURSERY SCHOOL|KINDERGARTEN|AFTERCARE"),
    ("general-services-education",
     "SCHOOL|ACADEMY|COLLEGE|UNIVERSITY|TUITION|DRIVING SCHOOL|INSTITUTE|PREPARATORY SCHOOL"),
    ("general-services-consulting-and-legal",
     "ATTORNEYS|ADVOCATES|SOLICITORS|LEGAL|CONSULTANTS|NOTARY"),
    ("general-services-accounting-and-financial-planning",
     "ACCOUNTANTS|TAX SERVICES|AUDITORS|FINANCIAL ADVISERS"),
    ("general-services-storage", "SELF STORAGE|STORAGE|STORAGE UNITS|WAREHOUSING"),
    ("general-services-postage-and-shipping",
     "COURIER|COURIERS|POST OFFICE|SHIPPING|PARCEL SERVICES"),
    ("general-services-other-general-services",
     "PRINTERS|CLEANING SERVICES|FUNERAL SERVICES|LOCKSMITH|REPAIRS|EVENTS"),
    ("entertainment-other-entertainment",
     "NIGHTCLUB|LOUNGE|KARAOKE|BOWLING|PAINTBALL|ESCAPE ROOM|GO KARTS|ARCADE"),
    ("entertainment-sporting-events-amusement-parks-and-museums",
     "MUSEUM|ZOO|THEME PARK|WATER PARK|STADIUM|GALLERY|AQUARIUM"),
    ("transportation-parking", "PARKING|CAR PARK|PARKADE|PARKING GARAGE"),
    ("transportation-gas",
     "FILLING STATION|SERVICE STATION|PETROL STATION|FUEL|GARAGE|GAS STATION|PETROLEUM"),
    ("travel-lodging", "HOTEL|LODGE|GUEST HOUSE|GUESTHOUSE|B&B|INN|MOTEL|SUITES|RESORT"),
    ("travel-other-travel", "TRAVEL|TRAVEL & TOURS|SAFARIS|TOURS|TRAVEL AGENCY"),
    ("transportation-other-transportation",
     "SHUTTLES|SHUTTLE SERVICES|TRANSPORTERS|AIRPORT TRANSFERS|BOAT TRANSFERS"),
    ("medical-nursing-care",
     "NURSING HOME|CARE HOME|FRAIL CARE|HOME CARE|NURSING SERVICES|RETIREMENT VILLAGE"),
    ("home-improvement-other-home-improvement",
     "POOLS|PEST CONTROL|FUMIGATORS|SOLAR INSTALLATIONS|BOREHOLE DRILLING|POOL SUPPLIES"),
    ("home-improvement-security",
     "SECURITY|ALARMS|ARMED RESPONSE|CCTV|SECURITY SYSTEMS|ELECTRIC FENCING"),
    ("entertainment-music-and-audio", "MUSIC STORE|RECORDS|VINYL|MUSIC SHOP|RECORD BAR"),
    ("entertainment-video-games", "GAMING|GAME ZONE|VIDEO GAMES|CONSOLES"),
)
# fmt: on

# fmt: off
_LOCAL_PREFIXES = (
    "NEW", "GOLDEN", "CITY", "PRIME", "BEST", "ROYAL", "HAPPY", "GREEN", "UNITY", "BLESSED",
    "GRACE", "SUNSHINE", "STAR", "VICTORY", "CORNER", "MAIN STREET", "FAMILY", "JOY",
    "EXCEL", "TOP", "OASIS", "SAVANNAH", "RIVERSIDE", "HILLCREST", "PARKSIDE", "EMPIRE",
)
# fmt: on
_LOCAL_SUFFIXES = ("", "", "", "", " LTD", " LIMITED", " & SONS", " ENTERPRISES", " CC")


def _local_lines(rng: random.Random) -> list[CorpusLine]:
    lines: list[CorpusLine] = []
    markets = tuple(MARKETS)
    for category, words in LOCAL_WORDS:
        for word in words.split("|"):
            for _ in range(60):
                market = rng.choice(markets)
                roll = rng.random()
                if roll < 0.4:
                    prefix = rng.choice(_LOCAL_PREFIXES)
                elif roll < 0.7:
                    prefix = rng.choice(_LAST_NAMES[market])
                else:
                    prefix = rng.choice(MARKETS[market].cities)
                name = f"{prefix} {word}{rng.choice(_LOCAL_SUFFIXES)}"
                line = _card_line(rng, market, name, category, name.title(), "local")
                lines.append(line)
    return lines


# --- The taxonomy's own words ----------------------------------------------------------


def _taxonomy_lines(rng: random.Random) -> list[CorpusLine]:
    """Return each category's description and name as lines, a few times each."""
    lines: list[CorpusLine] = []
    for entry in taxonomy():
        if entry.parent_code is None:
            continue
        texts = [entry.description.rstrip(". "), entry.short_name.replace("&", "and")]
        for text in texts:
            for _ in range(4):
                market = rng.choice(tuple(MARKETS))
                printed = text.upper() if rng.random() < 0.5 else text
                amount = _amount(rng, entry.slug, market)
                lines.append(CorpusLine(printed, None, amount, entry.slug, "taxonomy"))
    return lines


def corpus_lines(seed: int = 2026) -> list[CorpusLine]:
    """Return the whole labelled corpus; the same seed always gives the same lines."""
    rng = random.Random(seed)
    brands = sorted(nsi_brands(), key=lambda brand: (brand.name, brand.nsi_key))
    lines = _brand_lines(rng, brands)
    lines += _service_lines(rng)
    lines += _idiom_lines(rng)
    lines += _local_lines(rng)
    lines += _taxonomy_lines(rng)
    return lines
