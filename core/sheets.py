"""The workbook's shape, declared once: its sheets, each sheet's columns as the business spells
them, the seed each lands as and the seed's columns, and the name the marts give the sheet.

interactions/workbook.py reads workbooks by it, interactions/seed_files.py names the seed files
by it, and the import summary maps the marts' sheet names back to the workbook's by it. The dbt
side (seeds/_seeds.yml, dbt_project.yml's column types, the labels in quarantined_rows.sql and
the names in sheet_reconciliation.sql) is checked against it by tests/test_dbt_project.py.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str  # as the business's workbook spells it
    seed_column: str  # the seed CSV's snake_cased header
    kind: str = "text"  # text | datetime | month: how a date cell is written


@dataclass(frozen=True)
class SheetSpec:
    name: str  # as the business's workbook spells it
    seed: str  # the seed it lands as (seeds/<seed>.csv)
    columns: tuple[Column, ...]
    mart_name: str  # its sheet_name in marts.sheet_reconciliation and marts.quarantined_rows
    if_empty: str = ""  # a warning's consequence when the sheet has a header but no data rows

    @property
    def seed_columns(self) -> list[str]:
        return [column.seed_column for column in self.columns]


SHEETS = (
    SheetSpec(
        "Customers",
        "raw_customers",
        (
            Column("Customer_Id", "customer_id"),
            Column("Occupation", "occupation"),
            Column("Type", "type"),
        ),
        mart_name="customers",
        if_empty="every interaction's customer will be 'not in the Customers sheet' (type and "
        "occupation 'Unknown')",
    ),
    SheetSpec(
        "External interactions",
        "raw_external_interactions",
        (
            Column("Date Start", "date_start", "datetime"),
            Column("Interaction", "interaction"),
            Column("Customers", "customers"),
        ),
        mart_name="interactions",
    ),
    SheetSpec(
        "Products of discussion",
        "raw_products_of_discussion",
        (Column("Date", "date", "month"), Column("Product", "product")),
        mart_name="products",
    ),
)
