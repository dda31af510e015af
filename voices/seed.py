"""The seeded voices (data migration 0002; ``voice_seed_ensure`` restores them, e.g. after a test flush).

The first three render exactly as the built-in voices; the others are distinct
eSpeak NG variants and pitches, with an Azure mapping.
"""

SEED = [
    # internal, display, aliases, espeak (voice, rate, pitch, range), azure (voice, pitch, rate), premium, beta
    ("np_rija", "Rija", [], ("ne+f2", 165, 62, 70), ("ne-NP-HemkalaNeural", "+0%", 1.0), False, False),
    (
        "np_prasanna",
        "Prasanna",
        ["np_prashanna"],
        ("ne+m1", 175, 58, 60),
        ("ne-NP-SagarNeural", "+0%", 1.0),
        False,
        False,
    ),
    ("np_binod", "Binod", [], ("ne+m3", 160, 25, 30), ("ne-NP-SagarNeural", "-12%", 0.92), False, False),
    ("np_shreegya", "Shreegya", [], ("ne+f4", 170, 75, 80), ("ne-NP-HemkalaNeural", "+10%", 1.05), True, False),
    ("np_rijan", "Rijan", [], ("ne+m2", 150, 40, 45), ("ne-NP-SagarNeural", "-6%", 0.95), True, False),
    ("np_anita", "Anita", [], ("ne+f5", 155, 55, 35), ("ne-NP-HemkalaNeural", "-5%", 0.97), True, True),
]


def seed_rows(Voice) -> list:
    """Unsaved rows of ``Voice`` (the model class, historical in migrations) for the seed."""
    return [
        Voice(
            internal_name=internal,
            display_name=display,
            aliases=aliases,
            espeak_voice=espeak[0],
            espeak_rate=espeak[1],
            espeak_pitch=espeak[2],
            espeak_range=espeak[3],
            azure_voice=azure[0],
            azure_pitch=azure[1],
            azure_rate=azure[2],
            is_premium=premium,
            is_beta=beta,
        )
        for internal, display, aliases, espeak, azure, premium, beta in SEED
    ]
