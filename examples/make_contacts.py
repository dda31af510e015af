"""Write examples/contacts.csv and examples/contacts.xlsx (the same rows) for a campaign import.

    .venv/bin/python examples/make_contacts.py

Headers become tags (``name`` → ``{tags_name}`` in a message); the values are Nepali.
"""

import csv
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
HEADER = ["number", "name", "city", "offer"]
ROWS = [
    ["9841000001", "राम श्रेष्ठ", "काठमाडौं", "दशैं"],
    ["9851000002", "सीता गुरुङ", "पोखरा", "तिहार"],
    ["9861000003", "हरि थापा", "ललितपुर", "दशैं"],
    ["9801000004", "गीता राई", "धरान", "छठ"],
    ["9741000005", "कृष्ण मगर", "बुटवल", "तिहार"],
]


def main() -> None:
    with (HERE / "contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([HEADER, *ROWS])
    workbook = xlsxwriter.Workbook(str(HERE / "contacts.xlsx"))
    sheet = workbook.add_worksheet("contacts")
    for row, values in enumerate([HEADER, *ROWS]):
        # Numbers as text, as a contact sheet usually holds them (no 9.84E+09).
        sheet.write_row(row, 0, values)
    workbook.close()


if __name__ == "__main__":
    main()
