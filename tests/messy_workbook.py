"""A seeded generator of messy workbooks, as a business's Excel export can be: every cell
drawn from the classes the cleaning rules decide (dbt docs: cleaning_rules).

- whitespace around and inside cells: spaces, tabs, line breaks, no-break and other Unicode
  spaces, zero-width characters;
- text standing for nothing: 'Null', 'NULL', 'N/A', 'none', '-';
- customer ids as numbers, floats (4.0), padded text, leading zeros, full-width digits, '12in',
  '-1', '0', '4.5', '1e3'; customers missing from the Customers sheet; customers listed twice
  with conflicting types;
- channels in any case, through their aliases, with whitespace inside ('phone  call'), a
  channel added to seeds/channels.csv with eleven aliases (NEW_CHANNEL), and unknown ones
  (Latin-1 and Greek capitals among them);
- dates as date cells and as text: zero-padded or not, two-digit years, whitespace inside,
  impossible days and times, other formats, out of range, full-width digits;
- product months in the same ways, months without a product, a product named like the
  placeholder topic ('Unknown').

`generate(path, seed)` writes the workbook and returns every written cell, so that a failing
comparison can show the cells behind it. The same seed gives the same workbook.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

# Characters around and inside cells. openpyxl cannot write the other ASCII control characters.
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u202f", "\u3000", "\u2003", "\u2028"]
INVISIBLE = ["\u200b", "\ufeff", "\u200d", "\u00ad"]
BLANK_WORDS = ["Null", "NULL", "null", "N/A", "n/a", "None", "-", "NaN", "#N/A"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# A channel the business adds to seeds/channels.csv, with more aliases than ten.
NEW_CHANNEL = "Pager,4,beeper|bleeper|buzzer|page|paging|pocket pager|radio pager|alpha pager"
NEW_CHANNEL += "|numeric pager|pager message|ring"
CHANNEL_SPELLINGS = ["Email", "e-mail", "mail", "Call", "phone", "phone call", "Bird"]
CHANNEL_SPELLINGS += ["Pager", "ring", "pocket pager", "beeper"]
UNKNOWN_CHANNELS = ["Pigeon", "rings", "Fax", "ΕΜΑΙΛ", "ÉMAIL", "Emai l", "E mail"]
OCCUPATIONS = ["Jedi", "Doctor", "Data Scientist", "Ingénieur", 'Doctor, "PhD"', "Plummer"]
TYPES = ["Red", "Orange", "Blue", "Green", "RED", "Élite"]
PRODUCTS = ["Sand", "Orange", "Lemon", "Kiwi", "Basil", "SAND", "Crème"]

# The cells of issue #12's table, for one customer, whatever the seed: every engine must
# count Email 2, Call 1, Bird 1, and serve occupation and type 'Unknown'.
TABLE_CUSTOMER = 900_001
TABLE_CUSTOMER_ROW = [f"{TABLE_CUSTOMER}\u00a0", "Null", "\u00a0"]
TABLE_INTERACTION_ROWS = [
    ["06/10/2019  09:00", "Email\u00a0", f"{TABLE_CUSTOMER}\u00a0"],
    ["07/10/2019\t09:00", "Email", str(TABLE_CUSTOMER)],
    ["08/10/19 09:00", "Call", str(TABLE_CUSTOMER)],
    ["09/10/2019 09:00", "\u00a0Bird", f"{TABLE_CUSTOMER}.0"],
    ["10/10/2019 09:00", "NULL", str(TABLE_CUSTOMER)],
]
TABLE_ANSWER = {"Email": 2, "Call": 1, "Bird": 1, "Pager": 0}

SHEET_HEADERS = {
    "Customers": ["Customer_Id", "Occupation", "Type"],
    "External interactions": ["Date Start", "Interaction", "Customers"],
    "Products of discussion": ["Date", "Product"],
}


@dataclass
class MessyWorkbook:
    path: Path
    seed: int
    rows: dict[str, list[list]]  # sheet name -> its data rows, cells as written

    def cells(self, sheet: str, source_row_number: int) -> str:
        """The cells of one data row (1 = the first after the header), for a failure."""
        row = self.rows[sheet][source_row_number - 1]
        header = SHEET_HEADERS[sheet]
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(header, row, strict=True))
        return f"{sheet!r} sheet row {source_row_number + 1}: {shown}"


class Cells:
    """Draws cells from a seeded random generator."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)  # noqa: S311 - test data

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, choices):
        return self.rng.choice(choices)

    def around(self, text: str) -> str:
        """Text with whitespace or invisible characters around it (or not)."""
        if text is None or self.chance(0.6):
            return text
        before = "".join(self.pick(SPACES + INVISIBLE) for _ in range(self.rng.randint(0, 2)))
        after = "".join(self.pick(SPACES + INVISIBLE) for _ in range(self.rng.randint(0, 2)))
        return before + text + after

    def inside(self, text: str) -> str:
        """Each space of the text as another run of whitespace (or not)."""
        if " " not in text or self.chance(0.5):
            return text
        return text.replace(" ", self.pick(SPACES))

    def case(self, text: str) -> str:
        return self.pick([text, text, text.lower(), text.upper(), text.title()])

    def blank(self):
        return self.pick([None, "", " ", "\u00a0", "\t", "\u200b", *BLANK_WORDS])

    def text(self, values):
        if self.chance(0.12):
            return self.blank()
        return self.around(self.inside(self.pick(values)))

    def customer_id(self, number: int):
        """A cell naming customer `number`, or (rarely) not an id at all."""
        if self.chance(0.06):
            return self.pick(
                [
                    "12in",
                    "-1",
                    "0",
                    "4.5",
                    "1e3",
                    "+4",
                    "4,0",
                    "１２",
                    str(number).translate(FULL_WIDTH),
                ]
                + [None, "", *BLANK_WORDS[:4]]
            )
        return self.pick(
            [number, number, float(number), str(number), f"{number}.0", f"00{number}"]
            + [self.around(str(number)), self.around(f"{number}.00")]
        )

    def channel(self):
        if self.chance(0.05):
            return self.pick(UNKNOWN_CHANNELS + [self.blank()])
        return self.around(self.inside(self.case(self.pick(CHANNEL_SPELLINGS))))

    def moment(self, moment: datetime):
        """A cell for an interaction at `moment`, in one of the ways a sheet holds one."""
        roll = self.rng.random()
        if roll < 0.3:
            return moment  # a date cell
        if roll < 0.4:
            return moment.date()  # a date cell without a time: midnight
        day, month, year = moment.day, moment.month, moment.year
        hour, minute = moment.hour, moment.minute
        if roll < 0.6:
            text = f"{day:02d}/{month:02d}/{year} {hour:02d}:{minute:02d}"
        elif roll < 0.7:
            text = f"{day}/{month}/{year} {hour}:{minute:02d}"
        elif roll < 0.78:
            text = f"{day:02d}/{month:02d}/{year % 100:02d} {hour:02d}:{minute:02d}"
        elif roll < 0.86:
            separator = self.pick(SPACES + ["\u00a0\u00a0", " \n "])
            text = f"{day:02d}/{month:02d}/{year}{separator}{hour:02d}:{minute:02d}"
        else:
            text = self.pick(
                [
                    "31/02/2020 10:00",
                    "29/02/2019 10:00",
                    "29/02/2020 23:59",
                    "12/13/2019 10:00",
                    "06/10/2019 24:00",
                    "06/10/2019 09:60",
                    "2020-01-16 10:00",
                    "06/10/2019",
                    "yesterday",
                    "01/01/1850 10:00",
                    "31/12/2150 10:00",
                    "01/01/45 10:00",
                    "01/01/29 10:00",
                    "01/01/30 10:00",
                    "1/1/19 9:05",
                    "001/01/2019 10:00",
                    "01/01/019 10:00",
                    "06/10/2019 09:00:00",
                    "06 / 10 / 2019 09:00",
                    "０６/10/2019 09:00",
                    "06/10/2019T09:00",
                ]
                + [None, *BLANK_WORDS[:3]]
            )
        return self.around(text)

    def month(self, month: date):
        roll = self.rng.random()
        if roll < 0.3:
            return datetime(month.year, month.month, 1)  # a date cell
        if roll < 0.6:
            return self.around(f"{month.month:02d}-{month.year}")
        if roll < 0.75:
            return self.around(f"{month.month}-{month.year}")
        if roll < 0.9:
            return self.around(f"{month.month:02d}-{month.year % 100:02d}")
        return self.around(f"{month.month:02d}\u00a0-{month.year}")  # not the format


def _month_starts(first: date, count: int) -> list[date]:
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def generate(path: Path, seed: int, interactions: int = 2_000) -> MessyWorkbook:
    """Write a messy workbook of `interactions` interaction rows (and customers and products
    to go with them) to `path`."""
    cells = Cells(seed)
    customers = max(20, interactions // 10)

    customer_rows = []
    for number in range(1, customers + 1):
        if cells.chance(0.1):
            continue  # not in the Customers sheet: its interactions still count
        customer_rows.append(
            [cells.customer_id(number), cells.text(OCCUPATIONS), cells.text(TYPES)]
        )
        if cells.chance(0.03):  # listed again, with another type: the first row counts
            customer_rows.append([str(number), cells.text(OCCUPATIONS), cells.text(TYPES)])
        if cells.chance(0.02):
            customer_rows.append([cells.blank(), cells.blank(), cells.blank()])  # blank row

    customer_rows.append(TABLE_CUSTOMER_ROW)

    start = datetime(2019, 1, 1)
    interaction_rows = []
    for _ in range(interactions):
        moment = start + timedelta(minutes=cells.rng.randrange(3 * 365 * 24 * 60))
        customer = cells.rng.randint(1, customers + customers // 20)  # some not in any sheet
        if cells.chance(0.01):
            interaction_rows.append([cells.blank(), cells.blank(), cells.blank()])
            continue
        interaction_rows.append(
            [cells.moment(moment), cells.channel(), cells.customer_id(customer)]
        )

    interaction_rows += TABLE_INTERACTION_ROWS

    product_rows = []
    for month in _month_starts(date(2019, 1, 1), 36):
        if cells.chance(0.3):
            continue  # a month without a product: its interactions have no topic
        product = cells.pick(PRODUCTS)
        for _ in range(cells.pick([1, 1, 2, 3])):  # the same product, spelled messily
            product_rows.append([cells.month(month), cells.around(cells.inside(product))])
        if cells.chance(0.1):  # the placeholder topic's name is no product
            product_rows.append([cells.month(month), cells.case("Unknown")])
        if cells.chance(0.1):
            product_rows.append([cells.month(month), cells.blank()])
    product_rows += [["13-2020", "Sand"], [cells.blank(), "Kiwi"], ["01-1930", "Lemon"]]

    rows = {
        "Customers": customer_rows,
        "External interactions": interaction_rows,
        "Products of discussion": product_rows,
    }
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, sheet_rows in rows.items():
        sheet = book.create_sheet(name)
        sheet.append(SHEET_HEADERS[name])
        for row in sheet_rows:
            sheet.append(row)
    book.save(path)
    return MessyWorkbook(path=path, seed=seed, rows=rows)
