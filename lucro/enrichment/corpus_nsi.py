"""Brand knowledge from the name-suggestion-index (NSI) and how its types map to categories.

``scripts/vendor_nsi.py`` reads the pinned npm package once and writes
``data/corpus/nsi_brands.csv`` with the categories below already applied; the corpus
generator only reads that file, so nothing here needs npm or the network.

The mapping is keyed by NSI's tree path (``brands/shop/supermarket``): one tag, one
category. Types whose spending is ambiguous on a statement (banks and ATMs, car dealers,
estate agents, malls, pawnbrokers, employment agencies) are left out, so their brands are
dropped rather than taught with a guess.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "corpus"
NSI_BRANDS_CSV = DATA_DIR / "nsi_brands.csv"
NSI_COLUMNS = ("name", "brand", "aliases", "nsi_key", "category", "countries")

_GROCERIES = "food-and-drink-groceries"
_OTHER_FOOD = "food-and-drink-other-food-and-drink"
_LIQUOR = "food-and-drink-beer-wine-and-liquor"
_CLOTHING = "general-merchandise-clothing-and-accessories"
_ELECTRONICS = "general-merchandise-electronics"
_OTHER_MERCH = "general-merchandise-other-general-merchandise"
_FURNITURE = "home-improvement-furniture"
_HARDWARE = "home-improvement-hardware"
_REPAIR = "home-improvement-repair-and-maintenance"
_BEAUTY = "personal-care-hair-and-beauty"
_PHARMACY = "medical-pharmacies-and-supplements"
_OTHER_MEDICAL = "medical-other-medical"
_PRIMARY_CARE = "medical-primary-care"
_AUTOMOTIVE = "general-services-automotive"
_EDUCATION = "general-services-education"
_POSTAGE = "general-services-postage-and-shipping"
_GAMBLING = "entertainment-casinos-and-gambling"
_OTHER_ENTERTAINMENT = "entertainment-other-entertainment"
_GAS = "transportation-gas"
_TRANSIT = "transportation-public-transit"
_LODGING = "travel-lodging"

# NSI type -> detailed category slug. Decisions worth a word:
# - EV charging is not a gas station: transportation-other-transportation, as the
#   labelled set has it (a secondary type of a fuel chain's name is printed SHELL RECHARGE).
# - shop=chemist (dm, Rossmann, Boots) is a pharmacy on a statement; health food and
#   supplement shops are "nutrition shops" in Plaid's words, so pharmacies too.
# - shop=mobile_phone and telecommunication are the carriers' own shops: a line naming the
#   carrier is almost always the phone bill.
# - shop=wholesale (Costco, Makro) is a superstore, as Plaid's description names them.
# - bars and pubs are restaurants (Plaid: "restaurants, bars, gastropubs").
# - shop=money_lender lines are repayments (loan-payments-personal-loan-payment); the
#   generator writes disbursements from its own idioms.
NSI_CATEGORIES: dict[str, str] = {
    # Food and drink
    "brands/shop/supermarket": _GROCERIES,
    "brands/shop/greengrocer": _GROCERIES,
    "brands/shop/butcher": _GROCERIES,
    "brands/shop/seafood": _GROCERIES,
    "brands/shop/frozen_food": _GROCERIES,
    "brands/shop/spices": _GROCERIES,
    "brands/shop/dairy": _GROCERIES,
    "brands/shop/cheese": _GROCERIES,
    "brands/amenity/fast_food": "food-and-drink-fast-food",
    "brands/amenity/restaurant": "food-and-drink-restaurant",
    "brands/amenity/bar": "food-and-drink-restaurant",
    "brands/amenity/pub": "food-and-drink-restaurant",
    "brands/amenity/cafe": "food-and-drink-coffee",
    "brands/shop/coffee": "food-and-drink-coffee",
    "brands/shop/tea": "food-and-drink-coffee",
    "brands/shop/alcohol": _LIQUOR,
    "brands/shop/wine": _LIQUOR,
    "brands/shop/beverages": _LIQUOR,
    "brands/amenity/vending_machine": "food-and-drink-vending-machines",
    "operators/amenity/vending_machine": "food-and-drink-vending-machines",
    "brands/amenity/ice_cream": _OTHER_FOOD,
    "brands/shop/bakery": _OTHER_FOOD,
    "brands/shop/pastry": _OTHER_FOOD,
    "brands/shop/confectionery": _OTHER_FOOD,
    "brands/shop/chocolate": _OTHER_FOOD,
    "brands/shop/deli": _OTHER_FOOD,
    "brands/shop/nuts": _OTHER_FOOD,
    # General merchandise
    "brands/shop/convenience": "general-merchandise-convenience-stores",
    "operators/shop/convenience": "general-merchandise-convenience-stores",
    "brands/shop/kiosk": "general-merchandise-convenience-stores",
    "brands/shop/general": "general-merchandise-convenience-stores",
    "brands/shop/department_store": "general-merchandise-department-stores",
    "brands/shop/variety_store": "general-merchandise-discount-stores",
    "brands/shop/wholesale": "general-merchandise-superstores",
    "brands/shop/books": "general-merchandise-bookstores-and-newsstands",
    "brands/shop/newsagent": "general-merchandise-bookstores-and-newsstands",
    "brands/shop/clothes": _CLOTHING,
    "brands/shop/shoes": _CLOTHING,
    "brands/shop/jewelry": _CLOTHING,
    "brands/shop/watches": _CLOTHING,
    "brands/shop/bag": _CLOTHING,
    "brands/shop/fashion_accessories": _CLOTHING,
    "brands/shop/baby_goods": _CLOTHING,
    "brands/shop/leather": _CLOTHING,
    "brands/shop/tailor": _CLOTHING,
    "brands/shop/electronics": _ELECTRONICS,
    "brands/shop/computer": _ELECTRONICS,
    "brands/shop/appliance": _ELECTRONICS,
    "brands/shop/hifi": _ELECTRONICS,
    "brands/shop/camera": _ELECTRONICS,
    "brands/shop/mobile_phone_accessories": _ELECTRONICS,
    "brands/shop/vacuum_cleaner": _ELECTRONICS,
    "brands/shop/printer_ink": _ELECTRONICS,
    "brands/shop/florist": "general-merchandise-gifts-and-novelties",
    "brands/shop/gift": "general-merchandise-gifts-and-novelties",
    "brands/shop/photo": "general-merchandise-gifts-and-novelties",
    "brands/shop/candles": "general-merchandise-gifts-and-novelties",
    "brands/shop/frame": "general-merchandise-gifts-and-novelties",
    "brands/shop/stationery": "general-merchandise-office-supplies",
    "brands/shop/copyshop": "general-merchandise-office-supplies",
    "brands/shop/pet": "general-merchandise-pet-supplies",
    "brands/shop/sports": "general-merchandise-sporting-goods",
    "brands/shop/outdoor": "general-merchandise-sporting-goods",
    "brands/shop/bicycle": "general-merchandise-sporting-goods",
    "brands/shop/fishing": "general-merchandise-sporting-goods",
    "brands/shop/tobacco": "general-merchandise-tobacco-and-vape",
    "brands/shop/e-cigarette": "general-merchandise-tobacco-and-vape",
    "brands/shop/cannabis": "general-merchandise-tobacco-and-vape",
    "brands/shop/toys": _OTHER_MERCH,
    "brands/shop/games": _OTHER_MERCH,
    "brands/shop/model": _OTHER_MERCH,
    "brands/shop/anime": _OTHER_MERCH,
    "brands/shop/craft": _OTHER_MERCH,
    "brands/shop/art": _OTHER_MERCH,
    "brands/shop/fabric": _OTHER_MERCH,
    "brands/shop/party": _OTHER_MERCH,
    "brands/shop/musical_instrument": _OTHER_MERCH,
    "brands/shop/charity": _OTHER_MERCH,
    "brands/shop/second_hand": _OTHER_MERCH,
    "brands/shop/agrarian": _OTHER_MERCH,
    "brands/shop/country_store": _OTHER_MERCH,
    # Home improvement
    "brands/shop/furniture": _FURNITURE,
    "brands/shop/bed": _FURNITURE,
    "brands/shop/household_linen": _FURNITURE,
    "brands/shop/houseware": _FURNITURE,
    "brands/shop/interior_decoration": _FURNITURE,
    "brands/shop/kitchen": _FURNITURE,
    "brands/shop/bathroom_furnishing": _FURNITURE,
    "brands/shop/lighting": _FURNITURE,
    "brands/shop/carpet": _FURNITURE,
    "brands/shop/curtain": _FURNITURE,
    "brands/shop/window_blind": _FURNITURE,
    "brands/shop/doityourself": _HARDWARE,
    "brands/shop/hardware": _HARDWARE,
    "brands/shop/paint": _HARDWARE,
    "brands/shop/trade": _HARDWARE,
    "brands/shop/tiles": _HARDWARE,
    "brands/shop/flooring": _HARDWARE,
    "brands/shop/doors": _HARDWARE,
    "brands/shop/glaziery": _HARDWARE,
    "brands/shop/electrical": _HARDWARE,
    "brands/shop/power_tools": _HARDWARE,
    "brands/shop/tool_hire": _HARDWARE,
    "brands/shop/garden_centre": _REPAIR,
    "brands/shop/groundskeeping": _REPAIR,
    "brands/craft/plumber": _REPAIR,
    "brands/craft/electrician": _REPAIR,
    "brands/craft/carpenter": _REPAIR,
    "brands/craft/painter": _REPAIR,
    "brands/craft/glaziery": _REPAIR,
    "brands/craft/window_construction": _REPAIR,
    "brands/office/security": "home-improvement-security",
    "brands/shop/locksmith": "home-improvement-security",
    "brands/shop/pest_control": "home-improvement-other-home-improvement",
    "brands/shop/swimming_pool": "home-improvement-other-home-improvement",
    # Medical
    "brands/amenity/pharmacy": _PHARMACY,
    "brands/shop/chemist": _PHARMACY,
    "brands/shop/herbalist": _PHARMACY,
    "brands/shop/health_food": _PHARMACY,
    "brands/shop/nutrition_supplements": _PHARMACY,
    "brands/amenity/dentist": "medical-dental-care",
    "brands/shop/optician": "medical-eye-care",
    "brands/amenity/doctors": _PRIMARY_CARE,
    "brands/amenity/clinic": _PRIMARY_CARE,
    "operators/amenity/doctors": _PRIMARY_CARE,
    "operators/amenity/clinic": _PRIMARY_CARE,
    "brands/amenity/hospital": _OTHER_MEDICAL,
    "operators/amenity/hospital": _OTHER_MEDICAL,
    "brands/healthcare/laboratory": _OTHER_MEDICAL,
    "brands/healthcare/sample_collection": _OTHER_MEDICAL,
    "brands/healthcare/blood_donation": _OTHER_MEDICAL,
    "brands/healthcare/physiotherapist": _OTHER_MEDICAL,
    "brands/healthcare/audiologist": _OTHER_MEDICAL,
    "brands/shop/hearing_aids": _OTHER_MEDICAL,
    "brands/shop/medical_supply": _OTHER_MEDICAL,
    "brands/amenity/veterinary": "medical-veterinary-services",
    "operators/amenity/veterinary": "medical-veterinary-services",
    # Personal care
    "brands/leisure/fitness_centre": "personal-care-gyms-and-fitness-centers",
    "brands/leisure/sports_centre": "personal-care-gyms-and-fitness-centers",
    "brands/shop/hairdresser": _BEAUTY,
    "brands/shop/hairdresser_supply": _BEAUTY,
    "brands/shop/beauty": _BEAUTY,
    "brands/shop/cosmetics": _BEAUTY,
    "brands/shop/perfumery": _BEAUTY,
    "brands/shop/massage": _BEAUTY,
    "brands/shop/laundry": "personal-care-laundry-and-dry-cleaning",
    "brands/shop/dry_cleaning": "personal-care-laundry-and-dry-cleaning",
    "brands/healthcare/counselling": "personal-care-other-personal-care",
    "brands/shop/tattoo": "personal-care-other-personal-care",
    # General services
    "brands/office/financial_advisor": "general-services-accounting-and-financial-planning",
    "brands/office/tax_advisor": "general-services-accounting-and-financial-planning",
    "brands/shop/car_repair": _AUTOMOTIVE,
    "brands/shop/car_parts": _AUTOMOTIVE,
    "brands/shop/tyres": _AUTOMOTIVE,
    "brands/shop/motorcycle_repair": _AUTOMOTIVE,
    "brands/shop/truck_repair": _AUTOMOTIVE,
    "brands/amenity/car_wash": _AUTOMOTIVE,
    "brands/amenity/vehicle_inspection": _AUTOMOTIVE,
    "brands/amenity/childcare": "general-services-childcare",
    "brands/amenity/kindergarten": "general-services-childcare",
    "brands/office/lawyer": "general-services-consulting-and-legal",
    "brands/office/consulting": "general-services-consulting-and-legal",
    "brands/amenity/driving_school": _EDUCATION,
    "brands/amenity/language_school": _EDUCATION,
    "brands/amenity/music_school": _EDUCATION,
    "brands/amenity/prep_school": _EDUCATION,
    "brands/amenity/school": _EDUCATION,
    "brands/amenity/college": _EDUCATION,
    "brands/amenity/university": _EDUCATION,
    "brands/amenity/training": _EDUCATION,
    "operators/amenity/college": _EDUCATION,
    "operators/amenity/university": _EDUCATION,
    "brands/office/insurance": "general-services-insurance",
    "brands/amenity/post_office": _POSTAGE,
    "brands/amenity/post_depot": _POSTAGE,
    "brands/amenity/parcel_locker": _POSTAGE,
    "brands/office/logistics": _POSTAGE,
    "operators/amenity/post_office": _POSTAGE,
    "operators/amenity/post_depot": _POSTAGE,
    "brands/shop/storage_rental": "general-services-storage",
    "brands/office/moving_company": "general-services-other-general-services",
    "brands/craft/cleaning": "general-services-other-general-services",
    "brands/craft/electronics_repair": "general-services-other-general-services",
    "brands/shop/funeral_directors": "general-services-other-general-services",
    # Entertainment
    "brands/amenity/casino": _GAMBLING,
    "brands/amenity/gambling": _GAMBLING,
    "brands/shop/bookmaker": _GAMBLING,
    "operators/shop/bookmaker": _GAMBLING,
    "brands/shop/lottery": _GAMBLING,
    "brands/leisure/adult_gaming_centre": _GAMBLING,
    "brands/amenity/cinema": "entertainment-tv-and-movies",
    "brands/shop/video_games": "entertainment-video-games",
    "brands/shop/music": "entertainment-music-and-audio",
    "brands/tourism/theme_park": "entertainment-sporting-events-amusement-parks-and-museums",
    "brands/amenity/karaoke_box": _OTHER_ENTERTAINMENT,
    "brands/leisure/amusement_arcade": _OTHER_ENTERTAINMENT,
    "brands/leisure/bowling_alley": _OTHER_ENTERTAINMENT,
    "brands/leisure/escape_game": _OTHER_ENTERTAINMENT,
    "brands/leisure/indoor_play": _OTHER_ENTERTAINMENT,
    "brands/leisure/trampoline_park": _OTHER_ENTERTAINMENT,
    "brands/leisure/miniature_golf": _OTHER_ENTERTAINMENT,
    # Government and non-profit
    "brands/office/government": "government-and-non-profit-government-departments-and-agencies",
    "operators/office/government": "government-and-non-profit-government-departments-and-agencies",
    "brands/office/political_party": "government-and-non-profit-donations",
    "brands/office/union": "government-and-non-profit-other-government-and-non-profit",
    "brands/office/association": "government-and-non-profit-other-government-and-non-profit",
    # Transportation and travel
    "brands/amenity/fuel": _GAS,
    "brands/waterway/fuel": _GAS,
    "brands/amenity/charging_station": "transportation-other-transportation",
    "brands/man_made/charge_point": "transportation-other-transportation",
    "operators/amenity/charging_station": "transportation-other-transportation",
    "brands/amenity/parking": "transportation-parking",
    "operators/amenity/parking": "transportation-parking",
    "brands/amenity/bicycle_rental": "transportation-bikes-and-scooters",
    "operators/highway/toll_gantry": "transportation-tolls",
    "operators/barrier/toll_booth": "transportation-tolls",
    "transit/route/bus": _TRANSIT,
    "transit/route/train": _TRANSIT,
    "transit/route/subway": _TRANSIT,
    "transit/route/tram": _TRANSIT,
    "transit/route/light_rail": _TRANSIT,
    "transit/route/trolleybus": _TRANSIT,
    "transit/route/ferry": _TRANSIT,
    "brands/amenity/car_rental": "travel-rental-cars",
    "brands/amenity/car_sharing": "travel-rental-cars",
    "operators/amenity/car_sharing": "travel-rental-cars",
    "brands/tourism/hotel": _LODGING,
    "brands/tourism/motel": _LODGING,
    "brands/tourism/hostel": _LODGING,
    "brands/tourism/caravan_site": _LODGING,
    "brands/shop/travel_agency": "travel-other-travel",
    # Rent and utilities
    "operators/office/energy_supplier": "rent-and-utilities-gas-and-electricity",
    "operators/office/water_utility": "rent-and-utilities-water",
    "brands/shop/mobile_phone": "rent-and-utilities-telephone",
    "brands/shop/telecommunication": "rent-and-utilities-telephone",
    "brands/office/telecommunication": "rent-and-utilities-telephone",
    "brands/shop/gas": "rent-and-utilities-cooking-fuel",
    # Loans
    "brands/shop/money_lender": "loan-payments-personal-loan-payment",
    "brands/office/mortgage": "loan-payments-mortgage-payment",
    "brands/amenity/money_transfer": "transfer-out-remittances-sent",
}

# Vending machines sell many things (NSI's ``vending`` tag): only food and drink ones are
# vending-machine spending; ticket machines are the transit, parking or toll they sell;
# the rest (excrement bags, keys, bottle return, ...) are dropped.
VENDING_CATEGORIES: dict[str, str] = {
    "drinks": "food-and-drink-vending-machines",
    "coffee": "food-and-drink-vending-machines",
    "food": "food-and-drink-vending-machines",
    "water": "food-and-drink-vending-machines",
    "ice_cream": "food-and-drink-vending-machines",
    "sweets": "food-and-drink-vending-machines",
    "milk": "food-and-drink-vending-machines",
    "public_transport_tickets": _TRANSIT,
    "parking_tickets": "transportation-parking",
    "toll": "transportation-tolls",
}

# Single brands whose NSI type says less than the taxonomy does: (lower-case name,
# nsi_key) -> category. Plaid's own description names Target and Walmart as superstores;
# Game (Massmart, Africa) sells general merchandise at a discount, not groceries.
BRAND_CATEGORY_OVERRIDES: dict[tuple[str, str], str] = {
    ("walmart", "brands/shop/department_store"): "general-merchandise-superstores",
    ("walmart supercenter", "brands/shop/department_store"): "general-merchandise-superstores",
    ("walmart supercenter", "brands/shop/supermarket"): "general-merchandise-superstores",
    ("walmart supercentre", "brands/shop/supermarket"): "general-merchandise-superstores",
    ("target", "brands/shop/department_store"): "general-merchandise-superstores",
    ("target", "brands/shop/supermarket"): "general-merchandise-superstores",
    ("meijer", "brands/shop/supermarket"): "general-merchandise-superstores",
    ("fred meyer", "brands/shop/supermarket"): "general-merchandise-superstores",
    ("game", "brands/shop/supermarket"): "general-merchandise-discount-stores",
    ("big lots", "brands/shop/department_store"): "general-merchandise-discount-stores",
    ("ross", "brands/shop/department_store"): "general-merchandise-discount-stores",
    ("tj maxx", "brands/shop/department_store"): "general-merchandise-discount-stores",
    ("tk maxx", "brands/shop/department_store"): "general-merchandise-discount-stores",
    ("marshalls", "brands/shop/department_store"): "general-merchandise-discount-stores",
    ("burlington", "brands/shop/department_store"): "general-merchandise-discount-stores",
}


@dataclass(frozen=True)
class Brand:
    """One row of nsi_brands.csv: a brand name, its type and where it trades."""

    name: str
    brand: str
    aliases: tuple[str, ...]
    nsi_key: str
    category: str
    countries: tuple[str, ...]


def nsi_category(nsi_key: str, name: str, tags: dict[str, str]) -> str | None:
    """Return the category for a brand of this NSI type and tags, or None to drop it."""
    override = BRAND_CATEGORY_OVERRIDES.get((name.lower(), nsi_key))
    if override:
        return override
    if nsi_key.endswith("/amenity/vending_machine"):
        return VENDING_CATEGORIES.get(tags.get("vending", "").split(";")[0])
    return NSI_CATEGORIES.get(nsi_key)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def nsi_brands(path: Path = NSI_BRANDS_CSV) -> list[Brand]:
    """Return the vendored brand table, in file order (sorted by the vendoring script)."""
    return [
        Brand(
            name=row["name"],
            brand=row["brand"],
            aliases=tuple(alias for alias in row["aliases"].split("|") if alias),
            nsi_key=row["nsi_key"],
            category=row["category"],
            countries=tuple(row["countries"].split()),
        )
        for row in _rows(path)
    ]
