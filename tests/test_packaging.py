"""pyproject.toml and environment.yml list the same dependencies with the same lower bounds; the
only extra bounds in environment.yml are the caps of constraints.txt."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parse(req: str):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name, spec = m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")
    return name, {s for s in spec.split(",") if s}


def _pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [
        r for extra in meta["optional-dependencies"].values() for r in extra
    ]
    return dict(_parse(r) for r in reqs)


def _environment():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "- pip:")
    reqs = [
        l.strip()[2:] for l in lines[start + 1 :] if l.strip().startswith("- ") and "-e ." not in l
    ]
    return dict(_parse(r) for r in reqs)


def _caps():
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = _parse(line)
            out[name] = spec
    return out


def test_same_packages_and_lower_bounds():
    py, env, caps = _pyproject(), _environment(), _caps()
    assert set(py) == set(env), (
        f"only in pyproject: {set(py) - set(env)}; only in environment.yml: {set(env) - set(py)}"
    )
    for name in py:
        assert all(s.startswith(">=") for s in py[name]), (
            f"pyproject pins {name}: {py[name]} (lower bounds only)"
        )
        extra = env[name] - py[name]
        assert py[name] <= env[name], f"{name}: lower bounds differ ({py[name]} vs {env[name]})"
        assert extra <= caps.get(name, set()), (
            f"{name}: environment.yml adds {extra} not in constraints.txt"
        )


def test_torch_is_never_pinned():
    py, env = _pyproject(), _environment()
    for d in (py, env):
        assert all(not s.startswith(("==", "<")) for s in d["torch"])


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make course" in readme


def test_colab_preinstalled_versions_meet_the_base_dependencies():
    """The Colab install (base dependencies, no extras) must not upgrade what Colab preinstalls: an
    upgraded package that Colab has already imported (ipywidgets, numpy) forces a runtime restart.
    So every lower bound must be met by Colab's version (tools/colab_sim.py: COLAB_PINS; `make
    colab-sim` runs it)."""
    import importlib.util

    from packaging.version import Version

    spec = importlib.util.spec_from_file_location("colab_sim", ROOT / "tools" / "colab_sim.py")
    colab_sim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(colab_sim)
    colab = dict(p.lower().split("==") for p in colab_sim.COLAB_PINS if "==" in p)
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = dict(_parse(r) for r in meta["dependencies"])
    checked = []
    for name, bounds in base.items():
        if name not in colab:
            continue
        for s in bounds:
            assert s.startswith(">="), f"{name}: {s}"
            assert Version(colab[name]) >= Version(s[2:]), (
                f"{name}{s} would upgrade Colab's {name} {colab[name]} (a runtime restart on Colab)"
            )
        checked.append(name)
    assert {"numpy", "ipywidgets", "torch", "scikit-learn"} <= set(checked)
