#!/usr/bin/python3
"""List the normative sentences (MUST, MUST NOT, REQUIRED, SHOULD, SHOULD NOT)
of the runtime-spec's runtime/config/features documents, with the anchor of
the section they are in.  Reads the spec text from the directory OCI_SPEC_DIR names (a checkout of
github.com/opencontainers/runtime-spec, e.g. at tag v1.3.0); the suite ships
only short quotes.

    spec_statements.py            print file#anchor | level | sentence
    spec_statements.py --check    verify catalogue.py covers every sentence
"""
import os
import re
import sys
from pathlib import Path

SPEC_FILES = ["runtime.md", "runtime-linux.md", "config.md", "config-linux.md",
              "features.md", "features-linux.md"]
if not os.environ.get("OCI_SPEC_DIR"):
    sys.exit("spec_statements.py: set OCI_SPEC_DIR to a runtime-spec checkout "
             "(git clone -b v1.3.0 https://github.com/opencontainers/runtime-spec)")
SPEC_DIR = Path(os.environ["OCI_SPEC_DIR"])
LEVEL_RE = re.compile(r"\b(MUST NOT|MUST|REQUIRED|SHOULD NOT|SHOULD)\b")
ANCHOR_RE = re.compile(r'<a name="([^"]+)"\s*/>')


def norm(s):
    s = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", s)      # [text][ref]
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)       # [text](url)
    s = s.replace("`", "").replace("**", "").replace("*", "")
    return re.sub(r"\s+", " ", s).strip()


def sentences(fname):
    text = (SPEC_DIR / fname).read_text()
    anchor = ""
    in_code = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = ANCHOR_RE.search(line)
        if m and line.lstrip().startswith("#"):
            anchor = m.group(1)
        elif line.lstrip().startswith("#"):
            anchor = anchor  # unanchored subheading: keep enclosing anchor
        clean = norm(line)
        if not LEVEL_RE.search(clean):
            continue
        # split into sentences (keep table rows whole)
        parts = [clean] if clean.startswith("|") else re.split(r"(?<=[.!?])\s+(?=[A-Z`*\[])", clean)
        for p in parts:
            lv = LEVEL_RE.findall(p)
            if lv:
                yield fname, anchor, lv[0], p


def all_sentences():
    for f in SPEC_FILES:
        yield from sentences(f)


def quote_matches(quote, sentence):
    """quote fragments separated by '...' appear in order in sentence"""
    pos = 0
    s = sentence.lower()
    for frag in [q.strip().lower() for q in quote.split("...")]:
        if not frag:
            continue
        i = s.find(frag, pos)
        if i < 0:
            return False
        pos = i + len(frag)
    return True


def main():
    if "--check" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from catalogue import STATEMENTS
        sents = list(all_sentences())
        texts = {f: norm((SPEC_DIR / f).read_text()) for f in SPEC_FILES}
        bad = 0
        for st in STATEMENTS:
            f, a = st.ref.split("#", 1)
            if ('name="%s"' % a) not in (SPEC_DIR / f).read_text():
                print("NO SUCH ANCHOR: %s" % st.ref)
                bad += 1
            found = any(sf == f and sa == a and quote_matches(st.quote, s) for sf, sa, _, s in sents)
            if not found and (st.level == "descriptive" or "..." in st.quote):
                found = quote_matches(st.quote, texts[f])
            if not found:
                print("NOT IN SPEC: %s %r" % (st.ref, st.quote))
                bad += 1
        def last(q):
            return q.split("...")[-1]
        for f, a, lv, s in sents:
            if not any(st.ref == "%s#%s" % (f, a) and quote_matches(last(st.quote), s) for st in STATEMENTS):
                print("UNCATALOGUED: %s#%s [%s] %s" % (f, a, lv, s[:160]))
                bad += 1
        print("%d statements in spec, %d in catalogue, %d problems" % (len(sents), len(STATEMENTS), bad))
        return 1 if bad else 0
    for f, a, lv, s in all_sentences():
        print("%s#%s | %s | %s" % (f, a, lv, s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
