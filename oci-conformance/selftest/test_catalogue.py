"""The catalogue matches the spec text, and every testable statement has a check."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent.parent
SPEC = os.environ.get("OCI_SPEC_DIR") or ""


@pytest.mark.skipif(not SPEC or not Path(SPEC).is_dir(),
                    reason="no spec text to compare with: set OCI_SPEC_DIR to a runtime-spec checkout")
def test_catalogue_matches_spec():
    p = subprocess.run([sys.executable, str(SUITE / "tools" / "spec_statements.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:]


def test_every_testable_statement_has_a_check():
    """Collect the suite (no runtime needed) and compare @spec markers with the catalogue."""
    code = r'''
import sys, json, pytest
class P:
    def __init__(self): self.keys = set()
    def pytest_collection_modifyitems(self, items):
        for it in items:
            for m in it.iter_markers("spec"):
                self.keys.add(tuple(m.args))
p = P()
pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", "-c", sys.argv[1], "--rootdir", sys.argv[2], sys.argv[3]], plugins=[p])
print("KEYS=" + json.dumps(sorted(p.keys)))
'''
    r = subprocess.run([sys.executable, "-c", code, str(SUITE / "pytest.ini"), str(SUITE), str(SUITE / "tests")],
                       capture_output=True, text=True, cwd=SUITE, env=dict(os.environ, RUNTIME="/bin/true"))
    line = [l for l in r.stdout.splitlines() if l.startswith("KEYS=")]
    assert line, r.stdout[-2000:] + r.stderr[-2000:]
    import json
    keys = {tuple(k) for k in json.loads(line[0][5:])}
    sys.path.insert(0, str(SUITE))
    from catalogue import STATEMENTS
    missing = [s.key for s in STATEMENTS if not s.untested and s.key not in keys]
    assert not missing, "statements with neither a check nor a reason: %s" % missing
