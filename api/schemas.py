"""The bodies the API answers, as pydantic models: the OpenAPI document's schemas are generated
from them (api/openapi.py), and the tests validate real responses against those schemas. The
views build their bodies as dicts (or send the answer cache's bytes); these models describe
them and are never on a request's path."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from api.params import MAX_LIMIT

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
