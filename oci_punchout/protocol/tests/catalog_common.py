"""What the catalogue tests share: a stream check."""

import io
import tracemalloc


class CountingSink(io.RawIOBase):
    """A binary file that keeps nothing, only counts the bytes written to it."""

    written = 0

    def writable(self):
        return True

    def write(self, data):
        self.written += len(data)
        return len(data)


def assert_written_as_a_stream(write, make_entry):
    """``write(sink, entries)`` for 1,000 then 10,000 entries (``make_entry(number)``, produced
    one at a time): ten times the entries must not take ten times the memory."""
    peaks = []
    for count in (1_000, 10_000):
        sink = CountingSink()
        tracemalloc.start()
        try:
            written = write(sink, (make_entry(number) for number in range(1, count + 1)))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert written == count
        assert sink.written > count * 500
    assert peaks[1] < peaks[0] * 2
