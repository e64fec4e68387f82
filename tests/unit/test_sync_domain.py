"""The pure parts of syncing: transformations, mapping, cursors, conflicts, retries, schedules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.documents.files import FileProblem, csv_lines, jsonl_lines, records_or_refuse
from superinsight.documents.record import DocumentInput
from superinsight.sync import conflicts, credentials, cursor, mapping, modes, retry, schedule, transforms
from superinsight.sync.connectors.base import SourceRecord, after, in_batches
from superinsight.sync.cursor import Cursor

KEY = b"k" * 32


def run(steps: list[dict[str, object]], record: dict[str, object]) -> dict[str, object]:
    return transforms.apply_steps(transforms.parse_steps(steps), record, KEY)


class TestTransforms:
    def test_each_step_does_what_its_name_says(self) -> None:
        record = {"Name": "  Ada  ", "email": "ADA@Example.com", "age": "36", "note": "", "tmp": 1}
        result = run(
            [
                {"type": "rename", "field": "Name", "to": "name"},
                {"type": "trim", "field": "name"},
                {"type": "lowercase", "field": "email"},
                {"type": "cast", "field": "age", "to": "int"},
                {"type": "default", "field": "note", "value": "none"},
                {"type": "drop", "field": "tmp"},
                {"type": "template", "field": "label", "template": "{name} <{email}>"},
                {"type": "computed", "field": "adult", "logic": {">=": [{"var": "age"}, 18]}},
                {"type": "mask", "field": "email", "method": "partial"},
            ],
            record,
        )
        assert result == {
            "name": "Ada",
            "email": "•" * 11 + ".com",
            "age": 36,
            "note": "none",
            "label": "Ada <ada@example.com>",
            "adult": True,
        }

    def test_steps_never_change_the_record_they_were_given(self) -> None:
        record = {"a": " x "}
        run([{"type": "trim", "field": "a"}], record)
        assert record == {"a": " x "}

    @pytest.mark.parametrize(
        ("target", "value", "expected"),
        [
            ("int", "42", 42),
            ("int", 3.0, 3),
            ("float", "2.5", 2.5),
            ("bool", "Yes", True),
            ("bool", "0", False),
            ("str", date(2026, 1, 2), "2026-01-02"),
            ("datetime", "2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5)),
            ("date", "2026-01-02", date(2026, 1, 2)),
            ("date", datetime(2026, 1, 2, 3), date(2026, 1, 2)),
            ("int", None, None),
        ],
    )
    def test_casts(self, target: str, value: object, expected: object) -> None:
        assert run([{"type": "cast", "field": "v", "to": target}], {"v": value})["v"] == expected

    @pytest.mark.parametrize(
        ("target", "value"), [("int", "abc"), ("int", 2.5), ("bool", "maybe"), ("date", "2026-13-01")]
    )
    def test_a_value_that_cannot_be_cast_is_that_records_error(self, target: str, value: object) -> None:
        with pytest.raises(transforms.RecordError, match="cannot cast"):
            run([{"type": "cast", "field": "v", "to": target}], {"v": value})

    @pytest.mark.parametrize(
        ("step", "message"),
        [
            ({"type": "exec", "field": "a"}, "type must be one of"),
            ({"type": "trim"}, "'field' must name a field"),
            ({"type": "trim", "field": "a;drop table"}, "'field' must name a field"),
            ({"type": "cast", "field": "a", "to": "complex"}, "cast 'to'"),
            ({"type": "rename", "field": "a"}, "'to' must name a field"),
            ({"type": "default", "field": "a"}, "needs a 'value'"),
            ({"type": "mask", "field": "a", "method": "rot13"}, "mask method"),
            ({"type": "template", "field": "a", "template": ""}, "a template is text"),
            ({"type": "computed", "field": "a", "logic": [1, 2]}, "needs JSON Logic"),
        ],
    )
    def test_unusable_steps_are_refused_when_saved_naming_the_step(
        self, step: dict[str, object], message: str
    ) -> None:
        with pytest.raises(transforms.StepError, match=message) as caught:
            transforms.parse_steps([{"type": "trim", "field": "ok"}, step])
        assert str(caught.value).startswith("step 2:")

    def test_templates_only_fill_plain_names(self) -> None:
        result = run(
            [{"type": "template", "field": "t", "template": "{a.__class__} {a} {missing}"}], {"a": "x"}
        )
        assert result["t"] == "{a.__class__} x "

    @given(
        st.lists(
            st.sampled_from(
                ["rename", "cast", "trim", "lowercase", "default", "drop", "mask", "template", "computed"]
            )
        )
    )
    def test_stored_steps_read_back_the_same(self, kinds: list[str]) -> None:
        options = {
            "rename": {"to": "b"},
            "cast": {"to": "int"},
            "default": {"value": 1},
            "mask": {"method": "hash"},
            "template": {"template": "{a}"},
            "computed": {"logic": {"var": "a"}},
        }
        steps = transforms.parse_steps(
            [{"type": kind, "field": "a", **options.get(kind, {})} for kind in kinds]
        )
        assert transforms.parse_steps([transforms.step_config(step) for step in steps]) == steps


class TestMapping:
    def test_maps_fields_and_keeps_the_rest_as_metadata(self) -> None:
        checked = mapping.check({"external_id": "id", "title": "name", "tags": "labels", "metadata.*": ""})
        mapped = mapping.apply(
            checked,
            {
                "id": 7,
                "name": "Ada",
                "labels": "a, b,,c",
                "when": datetime(2026, 1, 2),
                "price": Decimal("2.50"),
                "n": Decimal("3"),
            },
        )
        assert mapped == DocumentInput(
            "7", "Ada", "", {"when": "2026-01-02T00:00:00", "price": 2.5, "n": 3}, ["a", "b", "c"]
        )

    def test_lists_in_metadata_become_text(self) -> None:
        mapped = mapping.apply(
            mapping.check({"external_id": "id", "metadata.kinds": "k"}), {"id": "1", "k": ["x", 2]}
        )
        assert mapped.metadata == {"kinds": "x, 2"}

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"title": "t"}, "external_id"),
            ({"external_id": "id", "owner": "o"}, "not a target"),
            ({"external_id": "id", "metadata.a b": "o"}, "not a target"),
            ({"external_id": " "}, "choose the source field"),
        ],
    )
    def test_unusable_mappings_are_refused(self, raw: dict[str, str], message: str) -> None:
        with pytest.raises(mapping.MappingError, match=message):
            mapping.check(raw)

    def test_a_record_without_its_key_is_an_error(self) -> None:
        with pytest.raises(transforms.RecordError, match="external id is empty"):
            mapping.apply({"external_id": "id"}, {"id": None})

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (datetime(2026, 3, 4, 5, 6), datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),  # naive: read as UTC
            (
                datetime(2026, 3, 4, 7, 6, tzinfo=timezone(timedelta(hours=2))),
                datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
            ),
            (date(2026, 3, 4), datetime(2026, 3, 4, tzinfo=UTC)),
            ("2026-03-04", datetime(2026, 3, 4, tzinfo=UTC)),
            ("2026-03-04 05:06:00", datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),
            (" 2026-03-04T05:06:00Z ", datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),
            ("2026-03-04T07:06:00+02:00", datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),
            (None, None),
            ("", None),
        ],
    )
    def test_a_source_field_dates_the_document(self, value: object, expected: datetime | None) -> None:
        mapped = mapping.apply(
            mapping.check({"external_id": "id", "created_at": "opened"}), {"id": 1, "opened": value}
        )
        assert mapped.created_at == expected

    @pytest.mark.parametrize("value", ["yesterday", "04/03/2026", "2026-13-01", 1700000000, True])
    def test_a_date_that_is_not_one_is_a_record_error_naming_the_field(self, value: object) -> None:
        with pytest.raises(transforms.RecordError, match=r"^opened: .* is not a date"):
            mapping.apply({"external_id": "id", "created_at": "opened"}, {"id": 1, "opened": value})

    def test_the_date_field_is_not_copied_into_metadata_twice(self) -> None:
        mapped = mapping.apply(
            {"external_id": "id", "created_at": "opened", "metadata.*": ""},
            {"id": 1, "opened": "2026-03-04", "x": 1},
        )
        assert mapped.metadata == {"x": 1}


values = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=20),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.floats(allow_nan=False, allow_infinity=False),
)


class TestCursor:
    @given(values, values)
    def test_a_saved_cursor_reads_back_with_its_types(self, value: object, key: object) -> None:
        saved = Cursor(value, key)  # type: ignore[arg-type]
        assert cursor.loads(cursor.dumps(saved)) == saved

    def test_no_cursor_means_from_the_start(self) -> None:
        assert cursor.loads(cursor.dumps(None)) is None
        assert cursor.describe(None) == "from the start"

    @pytest.mark.parametrize(
        ("saved", "cursor_field", "shown"),
        [
            (
                Cursor(datetime(2026, 11, 30, 14, 2, tzinfo=UTC), 240),
                None,
                "modified 2026-11-30 14:02, line 240",
            ),
            (
                Cursor(datetime(2026, 11, 30, 14, 2, 9, tzinfo=UTC), "notes/a.md"),
                None,
                "modified 2026-11-30 14:02:09, file notes/a.md",
            ),
            (Cursor(1234), None, "ticket_id 1234"),
            (Cursor(date(2026, 11, 30), 7), "updated_on", "updated_on 2026-11-30, ticket_id 7"),
            (Cursor("2026-11-30T14:02", "A-7"), "changed", "changed 2026-11-30T14:02, ticket_id A-7"),
        ],
    )
    def test_a_cursor_reads_as_what_its_parts_are(
        self, saved: Cursor, cursor_field: str | None, shown: str
    ) -> None:
        assert cursor.describe(saved, cursor_field, "ticket_id") == shown

    def test_a_damaged_cursor_says_how_to_recover(self) -> None:
        with pytest.raises(ValueError, match="reset the job's cursor"):
            cursor.loads("{not json")

    @given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1000)), unique=True), st.data())
    def test_resuming_after_any_committed_record_reads_exactly_the_rest(
        self, keys: list[tuple[int, int]], data: st.DataObject
    ) -> None:
        records = [SourceRecord({"k": key}, Cursor(value, key)) for value, key in keys]
        ordered = after(records, None)
        cut = data.draw(st.integers(0, len(ordered)))
        since = ordered[cut - 1].position if cut else None
        assert ordered[:cut] + after(records, since) == ordered

    def test_batches_keep_order_and_size(self) -> None:
        records = [SourceRecord({}, Cursor(n)) for n in range(7)]
        assert [len(batch) for batch in in_batches(records, 3)] == [3, 3, 1]


class TestConflicts:
    @given(st.datetimes(), st.datetimes())
    def test_each_strategy(self, source_time: datetime, edit_time: datetime) -> None:
        assert conflicts.decide("source_wins", source_time, edit_time) == "take_source"
        assert conflicts.decide("workbench_wins", source_time, edit_time) == "keep_workbench"
        assert conflicts.decide("manual", source_time, edit_time) == "ask"
        newest = conflicts.decide("newest_wins", source_time, edit_time)
        assert newest == ("keep_workbench" if edit_time > source_time else "take_source")

    def test_an_unknown_strategy_is_refused(self) -> None:
        with pytest.raises(ValueError, match="one of"):
            conflicts.decide("coin_flip", datetime.now(), datetime.now())


class TestRetry:
    @given(st.integers(1, 30), st.floats(1, 600), st.integers())
    def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(
        self, attempt: int, base: float, seed: int
    ) -> None:
        delay = retry.backoff_seconds(attempt, base, random.Random(seed))
        ceiling = min(retry.MAX_DELAY_SECONDS, base * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling

    def test_jitter_spreads_retries(self) -> None:
        rng = random.Random(1)
        assert len({retry.backoff_seconds(3, 10, rng) for _ in range(20)}) == 20

    def test_max_retries_counts_retries_after_the_first_attempt(self) -> None:
        assert [retry.should_retry(attempt, 2) for attempt in (1, 2, 3)] == [True, True, False]
        assert not retry.should_retry(1, 0)


class TestSchedule:
    def test_next_run_of_an_hourly_schedule(self) -> None:
        after_time = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
        assert schedule.next_run("0 * * * *", "UTC", after_time) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)

    def test_schedules_follow_their_time_zone(self) -> None:
        after_time = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
        fires = schedule.next_run("0 9 * * *", "Europe/Berlin", after_time)
        assert fires.astimezone(UTC) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)

    @pytest.mark.parametrize("bad", ["every hour", "* * *", "61 * * * *", "* * * * * *"])
    def test_bad_expressions_are_refused_with_an_example(self, bad: str) -> None:
        with pytest.raises(schedule.ScheduleError, match="for example"):
            schedule.check(bad)

    def test_unknown_time_zones_are_refused(self) -> None:
        with pytest.raises(schedule.ScheduleError, match="time zone"):
            schedule.check("0 * * * *", "Mars/Olympus")


class TestCredentials:
    def test_round_trip_and_nothing_readable_at_rest(self) -> None:
        token = credentials.encrypt("secret-key", {"url": "postgresql://u:hunter2@db/x"})
        assert "hunter2" not in token
        assert credentials.decrypt("secret-key", token) == {"url": "postgresql://u:hunter2@db/x"}

    def test_another_key_or_a_damaged_token_fails_loudly(self) -> None:
        token = credentials.encrypt("secret-key", {"a": "b"})
        with pytest.raises(credentials.CredentialsError, match="SECRET_KEY"):
            credentials.decrypt("other-key", token)
        with pytest.raises(credentials.CredentialsError):
            credentials.decrypt("secret-key", token[:-4] + "AAAA")

    def test_nothing_saved_is_no_credentials(self) -> None:
        assert credentials.decrypt("k", None) == {}


class TestModes:
    def test_modes_as_airbyte_names_them(self) -> None:
        assert [mode.label for mode in modes.MODES.values()] == [
            "Full refresh | Overwrite",
            "Full refresh | Append",
            "Incremental | Append",
            "Incremental | Deduped",
        ]
        assert modes.mode("full_refresh_overwrite").deletes_missing
        with pytest.raises(ValueError, match="one of"):
            modes.mode("cdc")


class TestFiles:
    def test_csv_with_a_short_line_is_refused_naming_the_line(self) -> None:
        with pytest.raises(FileProblem, match=r"x\.csv: line 3 has 1 fields, the header has 2"):
            records_or_refuse(csv_lines("a,b\n1,2\n3\n", "x.csv"), "x.csv")

    def test_csv_needs_a_header_without_repeats(self) -> None:
        with pytest.raises(FileProblem, match="repeat"):
            list(csv_lines("a,a\n1,2\n", "x.csv"))
        with pytest.raises(FileProblem, match="first line"):
            list(csv_lines("", "x.csv"))

    def test_jsonl_lines_must_be_objects(self) -> None:
        assert records_or_refuse(jsonl_lines('{"a": 1}\n\n{"a": 2}\n'), "x.jsonl") == [{"a": 1}, {"a": 2}]
        with pytest.raises(FileProblem, match="line 2 is not JSON"):
            records_or_refuse(jsonl_lines('{"a": 1}\n{"a":\n'), "x.jsonl")
        with pytest.raises(FileProblem, match="line 1 is not a JSON object"):
            records_or_refuse(jsonl_lines("[1]\n"), "x.jsonl")

    def test_each_bad_line_is_named_with_its_reason_for_whoever_skips_it(self) -> None:
        lines = list(csv_lines('a,b\n1,2\n3\n4,5,6\n"7",8\n', "x.csv"))
        assert [(line.number, line.record, line.problem) for line in lines] == [
            (2, {"a": "1", "b": "2"}, None),
            (3, None, "has 1 fields, the header has 2"),
            (4, None, "has 3 fields, the header has 2"),
            (5, {"a": "7", "b": "8"}, None),
        ]


def test_a_later_timestamp_is_a_later_position() -> None:
    earlier = SourceRecord({}, Cursor(datetime(2026, 1, 1, tzinfo=UTC)))
    later = SourceRecord({}, Cursor(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=1)))
    assert after([later, earlier], earlier.position) == [later]


def test_an_upload_reads_on_past_a_stray_quote_where_a_source_is_refused() -> None:
    text = 'a,b\n1,"x"y\n2,z\n'
    with pytest.raises(FileProblem, match="not valid CSV"):
        list(csv_lines(text, "x.csv"))
    assert [line.record for line in csv_lines(text, "x.csv", strict=False)] == [
        {"a": "1", "b": "xy"},
        {"a": "2", "b": "z"},
    ]
