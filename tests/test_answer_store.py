"""The answer file (api/answer_store.py): what is written is what is read, by binary search;
a file that is not whole is never read; the folder must be this user's alone."""

import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from api import answer_store
from api.builds import Build

ANSWERS = [(1, b'{"a":1}\n'), (7, b""), (12, b'{"b":12}\n'), (2**63 - 1, b"last")]


def test_written_answers_are_read_back_and_no_other(tmp_path):
    path = tmp_path / "one.answers"
    assert answer_store.write(path, iter(ANSWERS)) == 4
    answers = answer_store.AnswerFile(path)
    assert len(answers) == 4
    assert list(answers) == [1, 7, 12, 2**63 - 1]
    assert [answers.get(customer_id) for customer_id, _ in ANSWERS] == [b for _, b in ANSWERS]
    assert [answers.get(missing) for missing in (0, 2, 8, 13, 2**62)] == [None] * 5


def test_no_answers_make_an_empty_file(tmp_path):
    path = tmp_path / "empty.answers"
    assert answer_store.write(path, iter([])) == 0
    answers = answer_store.AnswerFile(path)
    assert len(answers) == 0
    assert answers.get(1) is None


def test_answers_out_of_order_write_nothing(tmp_path):
    path = tmp_path / "bad.answers"
    with pytest.raises(ValueError, match="answers out of order at customer 3"):
        answer_store.write(path, iter([(5, b"x"), (3, b"y")]))
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary


@pytest.mark.parametrize("cut", [1, 8, 30])
@pytest.mark.parametrize("end", ["head", "tail"])
def test_a_file_that_is_not_whole_is_refused(tmp_path, cut, end):
    path = tmp_path / "cut.answers"
    answer_store.write(path, iter(ANSWERS))
    data = path.read_bytes()
    path.write_bytes(data[cut:] if end == "head" else data[:-cut])  # head: the trailer stays
    with pytest.raises(ValueError, match="answer file"):
        answer_store.AnswerFile(path)


BUILD = Build(3, datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))


def test_a_build_s_file_is_written_once_then_mapped(tmp_path):
    store = answer_store.AnswerStore(tmp_path / "answers", "duckdb:/somewhere/w.duckdb")
    written = []

    def write_answers(path):
        written.append(path)
        answer_store.write(path, iter(ANSWERS))

    first = store.open_or_write(BUILD, write_answers)
    again = store.open_or_write(BUILD, write_answers)
    assert len(written) == 1
    assert again.get(12) == first.get(12) == b'{"b":12}\n'
    assert written[0].name.endswith(f"-{BUILD.tag}.answers")
    assert (tmp_path / "answers").stat().st_mode & 0o777 == 0o700


def test_a_cut_file_is_written_anew_and_other_builds_files_go(tmp_path):
    folder = tmp_path / "answers"
    store = answer_store.AnswerStore(folder, "postgres:127.0.0.1:5432:interactions")
    other = answer_store.AnswerStore(folder, "postgres:127.0.0.1:5432:elsewhere")
    older = Build(2, datetime(2025, 1, 1, tzinfo=UTC))
    store.open_or_write(older, lambda path: answer_store.write(path, iter(ANSWERS)))
    other.open_or_write(older, lambda path: answer_store.write(path, iter(ANSWERS)))
    path = store.path_for(BUILD)
    path.write_bytes(b"not an answer file at all")  # e.g. left by another program
    answers = store.open_or_write(BUILD, lambda p: answer_store.write(p, iter(ANSWERS[:1])))
    assert list(answers) == [1]
    # This warehouse's older build is gone; the other warehouse's file stays.
    assert sorted(p.name for p in folder.glob("*.answers")) == sorted(
        [path.name, other.path_for(older).name]
    )


def test_a_folder_others_can_enter_is_refused(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    store = answer_store.AnswerStore(folder, "duckdb:/w.duckdb")
    with pytest.raises(PermissionError, match="must belong to this user and be private"):
        store.open_or_write(BUILD, lambda path: answer_store.write(path, iter(ANSWERS)))
    assert list(folder.iterdir()) == []


WRITE_SLOWLY = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from api import answer_store
from api.builds import Build

def slowly():
    for customer_id in range(1, 10**6):
        if customer_id == 1000:
            print("writing", flush=True)
            time.sleep(60)
        yield customer_id, b"x" * 100

store = answer_store.AnswerStore(Path(sys.argv[1]), "duckdb:/w.duckdb")
build = Build(3, datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
store.open_or_write(build, lambda path: answer_store.write(path, slowly()))
"""


def test_a_writer_killed_mid_file_leaves_no_file_and_the_next_one_writes_it(tmp_path):
    """Killed while writing (holding the lock): no answer file, only its temporary, which
    the next writer of that build removes once the lock is free (the kernel frees it)."""
    folder = tmp_path / "answers"
    writer = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", WRITE_SLOWLY, str(folder)], stdout=subprocess.PIPE, text=True
    )
    with writer:
        try:
            assert writer.stdout.readline() == "writing\n"
        finally:
            writer.send_signal(signal.SIGKILL)
    names = [path.name for path in folder.iterdir()]
    assert not [name for name in names if name.endswith(".answers")]
    assert len([name for name in names if name.endswith(".tmp")]) == 1
    store = answer_store.AnswerStore(folder, "duckdb:/w.duckdb")
    answers = store.open_or_write(BUILD, lambda path: answer_store.write(path, iter(ANSWERS)))
    assert answers.get(12) == b'{"b":12}\n'
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [store.path_for(BUILD).name, store.path_for(BUILD).name + ".lock"]
    )


def test_a_builds_files_of_every_kind_stay_together_and_go_together(tmp_path):
    folder = tmp_path / "answers"
    store = answer_store.AnswerStore(folder, "duckdb:/w.duckdb")
    older = Build(2, datetime(2025, 1, 1, tzinfo=UTC))
    for kind in ("", "topics", "customers"):
        store.open_or_write(older, lambda path: answer_store.write(path, iter(ANSWERS)), kind)
    assert len(list(folder.glob("*.answers"))) == 3
    for kind in ("", "topics"):
        store.open_or_write(BUILD, lambda path: answer_store.write(path, iter(ANSWERS)), kind)
    # The newer build's files only: writing its second kept its first.
    assert sorted(p.name for p in folder.glob("*.answers")) == sorted(
        [store.path_for(BUILD).name, store.path_for(BUILD, "topics").name]
    )


def test_bodies_after_an_id_come_one_after_the_other(tmp_path):
    path = tmp_path / "a.answers"
    answer_store.write(path, iter([(1, b"a,"), (3, b"bb,"), (7, b"c,")]))
    answers = answer_store.AnswerFile(path)
    assert answers.after(0, 2) == (b"a,bb,", 3, True)
    assert answers.after(1, 2) == (b"bb,c,", 7, False)
    assert answers.after(2, 5) == (b"bb,c,", 7, False)
    assert answers.after(7, 5) == (b"", None, False)
