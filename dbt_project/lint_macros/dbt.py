"""Stand-ins for dbt's cross-database macros (dbt.concat, ...), for sqlfluff's jinja templater."""


def concat(fields):
    return "concat(" + ", ".join(fields) + ")"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def current_timestamp():
    return "current_timestamp"


def type_string():
    return "text"


def cast(field, type):  # noqa: A002 - dbt's own argument name
    return f"cast({field} as {type})"
