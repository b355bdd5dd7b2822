"""The progress line: drawn on a terminal only, throttled, erased on close."""

from __future__ import annotations

import io

import pytest

from syndicate.progress import Progress, format_duration, progress_enabled, progress_line


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BrokenTTY(FakeTTY):
    def write(self, s: str) -> int:
        raise OSError(5, "Input/output error")


def _lines(text: str) -> list[str]:
    """What was drawn, one entry per redraw, padding stripped."""
    return [part.rstrip() for part in text.split("\r") if part.strip()]


def test_progress_enabled_only_on_a_terminal_without_quiet() -> None:
    assert progress_enabled(FakeTTY(), quiet=False) is True
    assert progress_enabled(FakeTTY(), quiet=True) is False
    assert progress_enabled(io.StringIO(), quiet=False) is False


def test_progress_enabled_is_false_for_a_closed_stream() -> None:
    closed = io.StringIO()
    closed.close()
    assert progress_enabled(closed, quiet=False) is False


def test_line_shows_done_total_rate_and_eta_with_thousands_separators() -> None:
    assert progress_line("reading", 12_345, 100_000, 12_345 / 8_123) == (
        "reading 12,345/100,000 files 8,123/s ETA 11s")


def test_line_without_elapsed_time_has_no_rate_or_eta() -> None:
    assert progress_line("reading", 0, 10, 0.0) == "reading 0/10 files"
    assert progress_line("reading", 5, 10, 0.0) == "reading 5/10 files"


def test_line_when_done_has_rate_but_no_eta() -> None:
    assert progress_line("writing", 10, 10, 2.0) == "writing 10/10 files 5/s"


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (11.4, "11s"), (59.6, "1m00s"), (185, "3m05s"), (7440, "2h04m"), (-3, "0s"),
])
def test_durations_are_short(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_disabled_progress_counts_but_writes_nothing() -> None:
    stream = FakeTTY()
    with Progress(100, enabled=False, stream=stream) as progress:
        for _ in range(100):
            progress.advance()
        assert progress.done == 100
    assert stream.getvalue() == ""


def test_redraws_are_throttled_to_ten_per_second() -> None:
    stream, clock = FakeTTY(), FakeClock()
    progress = Progress(1000, enabled=True, stream=stream, clock=clock)
    for _ in range(1000):  # one second of work in 1 ms steps
        clock.now += 0.001
        progress.advance()
    drawn = _lines(stream.getvalue())
    assert 9 <= len(drawn) <= 11
    assert drawn[0] == "reading 1/1,000 files 1,000/s ETA 1s"
    assert all(line.startswith("reading ") for line in drawn)


def test_every_redraw_starts_with_carriage_return_and_no_newline_is_written() -> None:
    stream, clock = FakeTTY(), FakeClock()
    with Progress(50, enabled=True, stream=stream, clock=clock) as progress:
        for _ in range(50):
            clock.now += 0.5
            progress.advance()
    out = stream.getvalue()
    assert "\n" not in out
    assert out.startswith("\r")
    assert out.count("\r") >= 50


def test_shorter_line_pads_over_the_previous_one() -> None:
    stream, clock = FakeTTY(), FakeClock()
    progress = Progress(1000, enabled=True, stream=stream, clock=clock)
    clock.now += 1
    progress.advance(999)  # "... 999/s ETA 0s"
    first = stream.getvalue()
    clock.now += 1
    progress.advance(1)  # done: "... 500/s", no ETA, shorter
    second = stream.getvalue()[len(first):]
    assert second.rstrip(" ") == "\rreading 1,000/1,000 files 500/s"
    assert len(second) == len(first)  # same width on screen: the old tail is blanked


def test_close_erases_the_line_and_stops_drawing() -> None:
    stream, clock = FakeTTY(), FakeClock()
    progress = Progress(10, enabled=True, stream=stream, clock=clock)
    clock.now += 1
    progress.advance()
    drawn = stream.getvalue()
    progress.close()
    erase = stream.getvalue()[len(drawn):]
    assert erase == "\r" + " " * (len(drawn) - 1) + "\r"
    clock.now += 1
    progress.advance()
    progress.close()
    assert stream.getvalue() == drawn + erase
    assert progress.done == 2


def test_clear_erases_and_the_next_advance_draws_again() -> None:
    stream, clock = FakeTTY(), FakeClock()
    progress = Progress(10, enabled=True, stream=stream, clock=clock)
    clock.now += 1
    progress.advance()
    progress.clear()
    progress.advance()  # same instant: drawn anyway, the line is gone
    assert _lines(stream.getvalue()) == ["reading 1/10 files 1/s ETA 9s",
                                         "reading 2/10 files 2/s ETA 4s"]


def test_close_without_any_draw_writes_nothing() -> None:
    stream = FakeTTY()
    with Progress(10, enabled=True, stream=stream, clock=FakeClock()):
        pass
    assert stream.getvalue() == ""


def test_broken_terminal_turns_drawing_off_instead_of_failing() -> None:
    clock = FakeClock()
    progress = Progress(10, enabled=True, stream=BrokenTTY(), clock=clock)
    clock.now += 1
    progress.advance()
    assert progress.enabled is False
    progress.advance()
    progress.close()
    assert progress.done == 2


def test_custom_label() -> None:
    stream, clock = FakeTTY(), FakeClock()
    with Progress(4, enabled=True, stream=stream, clock=clock, label="writing") as progress:
        clock.now += 2
        progress.advance(2)
    assert _lines(stream.getvalue())[0] == "writing 2/4 files 1/s ETA 2s"
