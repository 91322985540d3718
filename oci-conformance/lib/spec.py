"""The @spec decorator: ties a check to one statement of the runtime-spec.

    @spec("runtime.md#runtimeStart", "start a container that is not created MUST have no effect")
    def test_start_twice(...): ...

(ref, quote) must be an entry of catalogue.py (checked at collection), so a
failure names the sentence that was broken.
"""
import pytest


def spec(ref, quote):
    return pytest.mark.spec(ref, quote)
