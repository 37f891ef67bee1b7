"""The enclosure model renders: openscad turns hardware/enclosure/talkpuck.scad (every printed part,
laid out) into an STL with thousands of facets that is closed (every edge shared by exactly two
facets) and as large as the puck. Render time is measured by bench/enclosure_bench.py, not here."""
import os
import shutil
import subprocess
from collections import Counter

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCAD = os.path.join(REPO, "hardware", "enclosure", "talkpuck.scad")


def read_ascii_stl(path):
    """-> list of facets, each a tuple of three vertex tuples (floats)."""
    facets, loop = [], []
    with open(path) as f:
        for line in f:
            words = line.split()
            if words and words[0] == "vertex":
                loop.append(tuple(round(float(w), 4) for w in words[1:4]))
            elif words and words[0] == "endloop":
                assert len(loop) == 3, "a facet of %d vertices" % len(loop)
                facets.append(tuple(loop))
                loop = []
    return facets


def open_edges(facets):
    """Edges not shared by exactly two facets: none in a closed (watertight) mesh."""
    edges = Counter()
    for a, b, c in facets:
        for e in ((a, b), (b, c), (c, a)):
            edges[tuple(sorted(e))] += 1
    return {e: n for e, n in edges.items() if n != 2}


def render(tmp_path, part):
    out = tmp_path / (part + ".stl")
    r = subprocess.run(["openscad", "-D", 'part="%s"' % part, "-o", str(out), SCAD],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WARNING" not in r.stderr and "ERROR" not in r.stderr, r.stderr[-3000:]
    return read_ascii_stl(str(out))


@pytest.mark.skipif(shutil.which("openscad") is None, reason="openscad missing: scripts/bootstrap.sh test installs it")
def test_enclosure_renders_to_a_closed_stl(tmp_path):
    facets = render(tmp_path, "print")
    assert len(facets) > 1000
    assert open_edges(facets) == {}
    xs = [v[0] for f in facets for v in f]
    zs = [v[2] for f in facets for v in f]
    assert max(xs) - min(xs) > 92 * 2  # the body and the lid side by side
    assert abs(min(zs)) < 0.01 and 25 < max(zs) < 27  # flat on the bed; the body is the tallest part


def test_stl_checker_finds_an_open_mesh(tmp_path):
    """The check above can fail: a tetrahedron with one face missing has open edges."""
    p = tmp_path / "t.stl"
    v = ["0 0 0", "1 0 0", "0 1 0", "0 0 1"]
    faces = [(0, 1, 2), (0, 1, 3), (1, 2, 3), (0, 2, 3)]
    def stl(fs):
        body = "".join("facet normal 0 0 0\nouter loop\n%sendloop\nendfacet\n" % "".join("vertex %s\n" % v[i] for i in f)
                       for f in fs)
        return "solid t\n" + body + "endsolid t\n"
    p.write_text(stl(faces))
    assert open_edges(read_ascii_stl(str(p))) == {}
    p.write_text(stl(faces[:3]))
    assert len(open_edges(read_ascii_stl(str(p)))) == 3
