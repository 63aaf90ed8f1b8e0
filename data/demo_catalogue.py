"""The demo business's fixed reference data: geography, segments, product range and calendar.

Kept apart from the generator so that the shape of the business can be read at a glance.
"""

from __future__ import annotations

# region -> [(country, share of the region's customers)]
GEOGRAPHY: dict[str, list[tuple[str, float]]] = {
    "North America": [("United States", 0.78), ("Canada", 0.15), ("Mexico", 0.07)],
    "EMEA": [
        ("United Kingdom", 0.22), ("Germany", 0.22), ("France", 0.17), ("Spain", 0.1),
        ("Italy", 0.09), ("Netherlands", 0.08), ("Sweden", 0.05), ("United Arab Emirates", 0.04),
        ("South Africa", 0.03),
    ],
    "APAC": [
        ("Japan", 0.3), ("Australia", 0.28), ("Singapore", 0.12), ("India", 0.18),
        ("South Korea", 0.12),
    ],
    "LATAM": [("Brazil", 0.5), ("Argentina", 0.2), ("Chile", 0.15), ("Colombia", 0.15)],
}
REGION_SHARE = {"North America": 0.42, "EMEA": 0.33, "APAC": 0.17, "LATAM": 0.08}

# segment -> (share of customers, mean extra lines per order, mean extra units per line, discount)
SEGMENTS: dict[str, tuple[float, float, float, float]] = {
    "Consumer": (0.62, 1.0, 0.25, 0.0),
    "Small Business": (0.26, 1.6, 1.2, 0.03),
    "Corporate": (0.12, 2.4, 3.0, 0.08),
}

# category -> (share of lines, peak month, seasonal amplitude, return rate,
#               {sub_category: (low price, high price, cost ratio)})
CATALOGUE: dict[str, tuple[float, int, float, float, dict[str, tuple[float, float, float]]]] = {
    "Bikes": (0.03, 5, 0.35, 0.03, {
        "Road Bikes": (899.0, 4200.0, 0.62),
        "Mountain Bikes": (749.0, 3600.0, 0.6),
        "Touring Bikes": (999.0, 2600.0, 0.64),
        "E-Bikes": (1899.0, 5400.0, 0.68),
    }),
    "Accessories": (0.46, 12, 0.2, 0.04, {
        "Helmets": (39.0, 189.0, 0.45),
        "Lights": (19.0, 129.0, 0.4),
        "Locks": (24.0, 110.0, 0.42),
        "Bottles": (8.0, 29.0, 0.3),
        "Pumps": (22.0, 89.0, 0.44),
    }),
    "Clothing": (0.30, 11, 0.25, 0.09, {
        "Jerseys": (45.0, 139.0, 0.38),
        "Shorts": (39.0, 119.0, 0.4),
        "Gloves": (15.0, 59.0, 0.35),
        "Jackets": (89.0, 279.0, 0.42),
        "Socks": (9.0, 24.0, 0.3),
    }),
    "Components": (0.20, 4, 0.15, 0.05, {
        "Wheels": (149.0, 1190.0, 0.58),
        "Tires": (29.0, 79.0, 0.5),
        "Brakes": (49.0, 329.0, 0.55),
        "Chains": (19.0, 69.0, 0.5),
        "Saddles": (35.0, 199.0, 0.46),
        "Pedals": (29.0, 189.0, 0.5),
    }),
}
PRODUCT_MODELS = ["Apex", "Summit", "Vector", "Pulse", "Ridge", "Volt", "Strada", "Nimbus", "Atlas"]
PRODUCTS_PER_SUB_CATEGORY = 6

# Relative order volume by calendar month (1..12) and by weekday (Monday..Sunday).
MONTH_FACTOR = [0.78, 0.8, 0.95, 1.05, 1.15, 1.2, 1.14, 1.04, 0.96, 0.94, 1.08, 1.26]
WEEKDAY_FACTOR = [1.0, 1.03, 1.04, 1.06, 1.1, 0.86, 0.74]
# Share of a day's orders by hour (UTC), busiest over lunch and in the evening.
HOUR_FACTOR = [
    0.2, 0.12, 0.08, 0.06, 0.06, 0.1, 0.25, 0.5, 0.8, 1.0, 1.15, 1.25,
    1.3, 1.25, 1.1, 1.05, 1.05, 1.1, 1.25, 1.35, 1.3, 1.0, 0.7, 0.4,
]
YEARLY_GROWTH = 0.32
PRICE_INFLATION = 0.03
CHANNELS = [("Online", 0.58), ("Retail", 0.3), ("Partner", 0.12)]
# (promotion name, volume lift, discount); dates come from promotion_calendar().
PROMOTIONS = {
    "Black Friday": (2.3, 0.2),
    "Spring Sale": (1.4, 0.12),
    "Summer Sale": (1.35, 0.15),
    "Flash Sale": (1.6, 0.1),
}

FIRST_NAMES = [
    "Ava", "Noah", "Mia", "Liam", "Sofia", "Lucas", "Emma", "Mateo", "Yuki", "Arjun", "Chloe",
    "Hugo", "Lea", "Omar", "Zara", "Ethan", "Ines", "Felix", "Nora", "Kenji", "Priya", "Leo",
    "Elena", "Marco", "Anya", "Diego", "Hannah", "Tariq", "Isla", "Jonas",
]
LAST_NAMES = [
    "Smith", "Garcia", "Müller", "Martin", "Rossi", "Tanaka", "Kim", "Silva", "Nguyen", "Patel",
    "Johansson", "Dubois", "Novak", "Khan", "O'Brien", "Fischer", "Lopez", "Costa", "Sato",
    "Brown", "Moreau", "Jensen", "Haddad", "Okafor", "Weber", "Ibrahim", "Park", "Santos",
]
COMPANY_WORDS = [
    "Velo", "Ridgeline", "Northwind", "Crank", "Peloton", "Cadence", "Gearhouse", "Spoke",
    "Trailhead", "Summit", "Metro", "Harbour", "Alpine", "Coastal", "Urban", "Granite",
]
COMPANY_SUFFIXES = {"Corporate": ["Group", "Holdings", "Logistics", "Corp"],
                    "Small Business": ["Cycles", "Bike Shop", "Outfitters", "Rentals"]}
