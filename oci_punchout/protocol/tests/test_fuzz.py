"""Every parser a stranger can reach, fuzzed: a small seeded run here (``make test``), at least
100,000 inputs per parser in ``make stress`` (see ``fuzzing.py``)."""

import os
import time
from dataclasses import replace

import pytest
from fuzzing import TARGETS, Finding, Target, check, fuzz_settings
from hypothesis import given
from protocol import pdf

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
