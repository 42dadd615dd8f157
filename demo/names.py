"""Word lists for believable master data names (deterministic, no external data)."""

from __future__ import annotations

PRODUCTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # category: (product nouns, variants)
    "Fasteners": (("Wood screw", "Machine bolt", "Wall plug", "Hex nut", "Washer",
                   "Rivet", "Anchor bolt", "Drywall screw", "Cable tie", "Nail"),
                  ("M4", "M5", "M6", "M8", "M10", "4x40", "5x60", "6x80", "zinc", "stainless")),
    "Hand tools": (("Claw hammer", "Screwdriver set", "Spirit level", "Tape measure",
                    "Utility knife", "Pliers", "Hacksaw", "Chisel set", "Spanner set",
                    "Wire stripper"), ("pro", "compact", "16 oz", "5 m", "8 m", "300 mm",
                                       "6-piece", "12-piece", "insulated", "heavy duty")),
    "Power tools": (("Cordless drill", "Impact driver", "Angle grinder", "Jigsaw",
                     "Circular saw", "Random orbit sander", "Rotary hammer", "Heat gun",
                     "Multi-tool", "Planer"), ("18 V", "12 V", "1200 W", "850 W",
                                               "brushless", "kit", "body only", "pro")),
    "Garden": (("Garden hose", "Pruning shears", "Lawn rake", "Watering can", "Spade",
                "Hedge trimmer", "Plant pot", "Seed tray", "Sprinkler", "Wheelbarrow"),
               ("25 m", "50 m", "10 l", "large", "small", "steel", "plastic", "ergonomic")),
    "Heating": (("Oil radiator", "Fan heater", "Thermostat valve", "Convector",
                 "Infrared panel", "Pipe insulation", "Radiator key", "Boiler pump",
                 "Towel radiator", "Gas heater"), ("1500 W", "2000 W", "600 mm", "smart",
                                                   "white", "chrome", "compact", "eco")),
    "Lighting": (("LED bulb", "LED strip", "Floodlight", "Ceiling panel", "Work lamp",
                  "Downlight", "Motion sensor light", "Batten", "Head torch", "Desk lamp"),
                 ("E27 9 W", "GU10 5 W", "5 m", "30 W", "50 W", "warm white", "cool white",
                  "dimmable", "IP65", "rechargeable")),
    "Paint": (("Emulsion", "Gloss paint", "Primer", "Wood stain", "Masonry paint",
               "Paint roller", "Brush set", "Masking tape", "Filler", "Varnish"),
              ("white 5 l", "white 2.5 l", "grey 2.5 l", "oak 750 ml", "clear 1 l",
               "9 inch", "3-pack", "38 mm", "fast dry", "exterior")),
    "Plumbing": (("Compression fitting", "Ball valve", "PTFE tape", "Basin tap",
                  "Flexible hose", "Sink trap", "Pipe cutter", "Copper pipe", "Push-fit elbow",
                  "Shower head"), ("15 mm", "22 mm", "1/2 inch", "3/4 inch", "chrome",
                                   "brass", "2 m", "short", "long", "mixer")),
    "Electrical": (("Extension lead", "Socket outlet", "Light switch", "Junction box",
                    "Cable", "Fuse", "Plug", "Circuit breaker", "Cable clip", "Multimeter"),
                   ("4-way", "2-gang", "1-gang", "2.5 mm² 50 m", "13 A", "16 A", "white",
                    "black", "IP44", "digital")),
    "Safety": (("Safety glasses", "Work gloves", "Hard hat", "Ear defenders", "Dust mask",
                "Hi-vis vest", "First aid kit", "Knee pads", "Safety boots", "Fire blanket"),
               ("clear", "size 9", "size 10", "L", "XL", "FFP2", "FFP3", "EN397", "yellow",
                "10-pack")),
    "Cleaning": (("Microfibre cloth", "Degreaser", "Floor cleaner", "Bin bags", "Mop",
                  "Bucket", "Hand soap", "Sponge", "Glass cleaner", "Broom"),
                 ("5-pack", "5 l", "1 l", "750 ml", "heavy duty", "100-roll", "large",
                  "refill", "industrial", "soft")),
    "Seasonal decor": (("Fairy lights", "Christmas wreath", "Garden lantern", "Tree stand",
                        "Outdoor star", "Bauble set", "Halloween pumpkin", "Easter garland",
                        "Solar path light", "Candle set"), ("100 LED", "200 LED", "60 cm",
                                                            "gold", "red", "silver",
                                                            "battery", "solar", "12-piece")),
}

COMPANY_WORDS = ("Apex", "Birch", "Cedar", "Delta", "Elm", "Falcon", "Granite", "Harbor",
                 "Iron", "Juniper", "Kestrel", "Linden", "Maple", "Northern", "Oak", "Pine",
                 "Quarry", "River", "Summit", "Timber", "Union", "Valley", "Willow", "York",
                 "Zenith", "Beacon", "Crown", "Dune", "Ember", "Fjord", "Grove", "Heath")
CUSTOMER_KINDS = ("Builders", "Hardware", "Construction", "Home & Garden", "Maintenance",
                  "Contractors", "DIY", "Property Services", "Joinery", "Electrics",
                  "Plumbing & Heating", "Facilities")
SUPPLIER_KINDS = ("Manufacturing", "Industries", "Tools Co", "Trading", "Imports",
                  "Products", "Supply", "Components")
WAREHOUSES = (("CENTRAL", "Central distribution centre"), ("NORTH", "North depot"),
              ("SOUTH", "South depot"), ("EAST", "East depot"), ("WEST", "West depot"))
CARRIERS = (("SWIFT", "Swift Parcel", 1, 0.05, "6.50", "0.60", "0.010"),
            ("REGIO", "Regional Haulage", 2, 0.12, "5.00", "0.45", "0.008"),
            ("BUDGET", "Budget Freight", 3, 0.25, "3.50", "0.30", "0.006"),
            ("EXPRESS", "Express Logistics", 1, 0.03, "9.00", "0.80", "0.012"),
            ("ROAD", "Roadline Transport", 2, 0.15, "4.50", "0.40", "0.007"))
# code, name, transit days, late probability, base fee, per line, share of order value
