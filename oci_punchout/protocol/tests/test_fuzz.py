"""Every parser a stranger can reach, fuzzed: a small seeded run here (``make test``), at least
100,000 inputs per parser in ``make stress`` (see ``fuzzing.py``)."""

import os

import pytest
from fuzzing import TARGETS, check, fuzz_settings
from hypothesis import given

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
