"""The bodies the API answers, as pydantic models: the OpenAPI document's schemas are generated
from them (api/openapi.py), and the tests validate real responses against those schemas. The
views build their bodies as dicts (or send the answer cache's bytes); these models describe
them and are never on a request's path."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from api.params import MAX_LIMIT
from core.sheets import INTERACTIONS

Count = Annotated[int, Field(ge=0)]
CustomerId = Annotated[int, Field(ge=1)]
DateTime = Annotated[datetime, Field(description="UTC, ISO 8601, to the second or finer.")]


class Body(BaseModel):
    """A JSON object with exactly these keys."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Body):
    status: int = Field(ge=400, le=599)
    message: str = Field(min_length=1)


class Error(Body):
    """Every error (except the legacy stats 404)."""

    error: ErrorDetail


class ChannelCounts(RootModel[dict[str, Count]]):
    """Interactions per channel: every channel of /api/v1/channels, in display order,
    zero-filled."""


class CustomerCounts(Body):
    customer_id: CustomerId
    interactions: ChannelCounts


class CustomerInteractions(Body):
    data: CustomerCounts


class CustomerTopicCounts(Body):
    customer_id: CustomerId
    topics: dict[str, ChannelCounts] = Field(
        description="Each topic the customer talked about (known topics by name, then "
        "'Unknown'); empty when the customer has no interaction."
    )


class CustomerTopics(Body):
    data: CustomerTopicCounts


class CustomerTypeCounts(Body):
    customer_types: dict[str, ChannelCounts] = Field(
        description="Every customer type, by name, 'Unknown' included (customers missing "
        "from the Customers sheet)."
    )


class CustomerTypeInteractions(Body):
    data: CustomerTypeCounts


class SheetRow(Body):
    """A workbook row behind a count."""

    version: int = Field(ge=0, description="The version of the data the row is in (the live).")
    sheet: Literal[INTERACTIONS.name]  # type: ignore[valid-type]
    sheet_row: int = Field(ge=1, description="The row's number in the sheet, as in Excel.")
    cells: dict[str, str | None] = Field(
        description="The row's cells as landed, by the sheet's headers (null: empty)."
    )


Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class MonthlyCounts(RootModel[dict[Month, ChannelCounts]]):
    """Interactions per month ('YYYY-MM', in order, none missing) per channel."""


class CustomerMonthlyCounts(Body):
    customer_id: CustomerId
    months: MonthlyCounts = Field(
        description="Every month from the customer's first interaction to their last (about "
        "the topic, when one is given), zero-filled; empty when there is none."
    )


class CustomerMonthly(Body):
    data: CustomerMonthlyCounts


class CustomerTypeMonthlyCounts(Body):
    customer_types: dict[str, MonthlyCounts] = Field(
        description="Every customer type, by name, 'Unknown' included; each over the same "
        "months, from the first interaction of any customer to the last, zero-filled."
    )


class CustomerTypeMonthly(Body):
    data: CustomerTypeMonthlyCounts


class Customer(Body):
    customer_id: CustomerId
    occupation: str = Field(description="'Unknown' when blank or unlisted.")
    customer_type: str = Field(description="'Unknown' when unlisted.")
    in_customer_sheet: bool = Field(
        description="False for a customer with interactions who is missing from the "
        "Customers sheet."
    )
    interaction_count: Count


class Page(Body):
    limit: int = Field(ge=1, le=MAX_LIMIT)
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last."
    )
    next: str | None = Field(
        description="The next page's URL (same limit, and q for customers); null on the last page."
    )


class CustomerPage(Body):
    data: list[Customer]
    page: Page


class Version(Body):
    """One kept version of the data: an import (or the sample seeds' first build), with the
    figures it was built with."""

    version: int = Field(ge=1)
    imported_at: datetime = Field(description="When the version was imported (UTC, to the second).")
    file: str = Field(description="The imported workbook's file name ('seeds/' for the sample).")
    sha256: str = Field(description="SHA-256 of the imported file, hex.", pattern="^[0-9a-f]{64}$")
    interactions_counted: Count | None = Field(
        description="Interactions counted in that version (null if unknown)."
    )
    rows_quarantined: Count | None = Field(
        description="Rows quarantined in that version, all sheets (null if unknown)."
    )
    is_live: bool = Field(description="True for the version the API answers from (X-Data-Version).")


class VersionPage(Body):
    data: list[Version]
    page: Page


class SheetFigures(Body):
    """Rows landed = rows counted + rows quarantined."""

    sheet: Literal["customers", "interactions", "products"]
    rows_landed: Count
    rows_counted: Count
    rows_quarantined: Count


class BuildFigures(Body):
    built_at: DateTime
    sheets: list[SheetFigures]
    rows_quarantined_by_reason: dict[str, Annotated[int, Field(ge=1)]] = Field(
        description="Quarantined rows per reason (empty when none)."
    )
    interactions_without_topic: Count
    customers_not_in_sheet: Count


class DataQuality(Body):
    data: BuildFigures


class Channel(Body):
    channel: str
    display_order: int = Field(ge=1)


class Channels(Body):
    data: list[Channel]


class Topic(Body):
    topic: str
    is_unknown: bool = Field(description="True for 'Unknown' (a month with no product).")
    month_count: Count


class Topics(Body):
    data: list[Topic]


class LegacyRowCount(Body):
    message: Literal["Number of Rows"]
    rows: Count


class LegacyNotFound(Body):
    message: Literal["Table name not found"]


class Health(Body):
    status: Literal["ok"]


class Ready(Body):
    status: Literal["ready"]
    warehouse: Literal["duckdb", "postgres"]
    built_at: datetime = Field(description="When the last successful build finished (UTC).")
    version: int = Field(
        ge=0,
        description="The version of the data that build made live (0 for a development "
        "build, a plain dbt build); the answers' X-Data-Version.",
    )


class OpenApiDocument(BaseModel):
    """This document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


# --- the admin endpoints: an upload's preview, a publish, a rollback ---


class CustomerChange(Body):
    customer_id: CustomerId
    occupation: list[str | None] = Field(description="[live, new].", min_length=2, max_length=2)
    customer_type: list[str | None] = Field(description="[live, new].", min_length=2, max_length=2)


class CustomerDiff(Body):
    live: Count
    new: Count
    added: Count
    removed: Count
    changed: Count
    added_ids: list[CustomerId] = Field(description="The first 100 customers added.")
    removed_ids: list[CustomerId] = Field(description="The first 100 customers removed.")
    changed_rows: list[CustomerChange] = Field(description="The first 100 customers changed.")


class ChannelDiff(Body):
    channel: str
    live: Count
    new: Count


class InteractionDiff(Body):
    live: Count = Field(description="Interactions counted in the live version.")
    new: Count = Field(description="Interactions counted in the workbook.")
    added: Count
    removed: Count
    by_channel: list[ChannelDiff]


class ReasonDiff(Body):
    sheet: str
    reason: str
    live: Count
    new: Count


class TopicDiff(Body):
    added: list[str]
    removed: list[str]


class Diff(Body):
    """What the workbook changes against the live version (`interactions import --preview`)."""

    live_version: int | None = Field(description="The live version (null: nothing is live).")
    customers: CustomerDiff
    interactions: InteractionDiff
    quarantined: list[ReasonDiff] = Field(description="Rows quarantined by sheet and reason.")
    topics: TopicDiff


class QuarantineExample(Body):
    sheet_row: int = Field(ge=1, description="The row's number in the workbook's sheet.")
    values: str = Field(description="The row's cells as landed.")


class QuarantineReasonRows(Body):
    sheet: str = Field(description="The workbook's sheet.")
    reason: str
    rows: Count
    examples: list[QuarantineExample] = Field(description="The first three rows.")


class Quarantined(Body):
    rows: Count = Field(description="Rows quarantined, all sheets.")
    by_reason: list[QuarantineReasonRows]


class ImportPreview(Body):
    preview_id: str | None = Field(
        description="Publish it with POST /api/v1/imports/{preview_id}/publish within an hour; "
        "null when it would not go live (nothing to publish)."
    )
    would_go_live: bool = Field(
        description="Every check passed: publishing makes it the live version."
    )
    diff: Diff | None = Field(description="Null when the workbook failed before dbt passed.")
    quarantined: Quarantined | None = Field(description="Null, as diff.")
    message: str = Field(
        description="What publishing would do, or why it would not go live (the importer's "
        "message)."
    )


class ImportPreviewAnswer(Body):
    data: ImportPreview


class LiveVersion(Body):
    version: int = Field(ge=1, description="The version now live.")


class LiveVersionAnswer(Body):
    data: LiveVersion


class CancelledPreview(Body):
    preview_id: str = Field(description="The preview removed: it can no longer be published.")


class CancelledPreviewAnswer(Body):
    data: CancelledPreview


class CustomerRowPage(Body):
    data: list[SheetRow]
    page: Page
