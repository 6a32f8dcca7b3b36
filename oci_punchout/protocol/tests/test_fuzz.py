"""Every parser a stranger can reach, fuzzed: a small seeded run here (``make test``), at least
100,000 inputs per parser in ``make stress`` (see ``fuzzing.py``)."""

import os
import signal
import time
from dataclasses import replace

import fuzzing
import pytest
from fuzzing import TARGETS, Finding, Target, check, fuzz_settings
from hypothesis import given
from protocol import pdf
from protocol.errors import HostileDocument

# A seeded, repeatable run: the same inputs on every machine.
EXAMPLES = int(os.environ.get("PUNCHOUT_FUZZ_EXAMPLES", "150"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_parser_answers_every_input_with_a_result_or_a_protocol_error(name):
    target = TARGETS[name]

    @fuzz_settings(max(int(EXAMPLES * target.test_share), 1), derandomize=True)
    @given(target.inputs())
    def run(value):
        check(target, value)

    run()


def _slow(seconds):
    def call(_value):
        time.sleep(seconds)

    return call


def test_an_input_the_emulation_cannot_bound_is_read_by_the_real_code():
    def fails(_value):
        raise ValueError("boom")

    emulated = Target("t", _slow(0.02), None, time_bound=0.01, real_call=_slow(0), real_bound=1)
    assert check(emulated, b"x") < 1
    with pytest.raises(Finding, match=r"the real reader.*ValueError"):
        check(replace(emulated, real_call=fails), b"x")
    with pytest.raises(Finding, match=r"the real reader.*took"):
        check(replace(emulated, real_call=_slow(0.05), real_bound=0.01), b"x")
    with pytest.raises(Finding, match="took"):
        check(replace(emulated, real_call=None), b"x")


def test_the_pdf_target_falls_back_to_the_real_reader():
    target = TARGETS["pdf.read (child process reader)"]
    assert target.real_call is pdf.read_pdf
    assert target.clock is time.process_time
    assert target.real_bound > pdf.TIMEOUT_SECONDS


def test_the_cpu_timers_signal_lands_anywhere_without_killing_the_reader(monkeypatch):
    """In the reader: given up as the child's limit gives it up. While the timer is being
    cleared, the reading done: the answer stands. (Found by a 100,000-input run: the signal
    landed during the clean-up and killed the fuzzing child.)"""
    document = fuzzing.pdf_seeds()[0]

    def read_until_the_limit(*_args):
        raise fuzzing._CpuSecondsUsed

    monkeypatch.setattr(pdf, "_read", read_until_the_limit)
    with pytest.raises(HostileDocument, match="CPU seconds"):
        fuzzing.read_pdf_in_process(document)
    monkeypatch.undo()

    setitimer = signal.setitimer
    landed = []

    def signal_while_clearing(which, seconds, *args):
        result = setitimer(which, seconds, *args)
        if seconds == 0 and not landed:
            landed.append(True)
            raise fuzzing._CpuSecondsUsed
        return result

    monkeypatch.setattr(fuzzing.signal, "setitimer", signal_while_clearing)
    assert "PO-4711" in fuzzing.read_pdf_in_process(document)["text"]
    assert landed
    assert signal.getsignal(signal.SIGPROF) == signal.SIG_DFL
