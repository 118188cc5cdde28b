"""No Docker engine runs here, so the image is kept honest by checking that the Dockerfile only
calls steps that exist in the repo and that `make test` / CI run the same ones."""
from __future__ import annotations

import re
import shlex

from tests.conftest import REPO_ROOT


def instructions() -> list[tuple[str, str]]:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def commands(kind: str) -> list[str]:
    return [rest for keyword, rest in instructions() if keyword == kind]


def python_modules(command: str) -> list[str]:
    return re.findall(r"python -m ([\w.]+)", command)


def test_base_image_is_slim_python_311() -> None:
    assert commands("FROM") == ["python:3.11-slim"]


def test_copied_paths_exist() -> None:
    for rest in commands("COPY"):
        *sources, _target = shlex.split(rest)
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the repo"


def test_run_and_cmd_call_only_steps_that_exist() -> None:
    steps = commands("RUN") + commands("CMD") + commands("HEALTHCHECK")
    scripts = [s for step in steps for s in re.findall(r"scripts/[\w.\-]+", step)]
    assert scripts == ["scripts/install.sh"]
    for script in scripts:
        path = REPO_ROOT / script
        assert path.is_file() and path.stat().st_mode & 0o111, f"{script} missing or not executable"
    cmd = " ".join(shlex.split(commands("CMD")[0].replace('", "', " ").strip('[]"')))
    modules = [m for step in steps + [cmd] for m in python_modules(step)]
    assert set(modules) == {"index", "webapp"}
    for module in modules:
        assert (REPO_ROOT / module / "__main__.py").is_file()


def test_ci_runs_the_same_steps() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    test_recipe = re.search(r"^test:.*?(?=^\S)", makefile, re.S | re.M).group(0)
    assert "scripts/install.sh" in test_recipe
    assert "-m index build" in makefile and "-m webapp" in makefile
    # The test suite itself runs `python -m index build` (tests/test_cli_and_crash.py) and
    # serves `webapp` over HTTP, so both entry points the image uses are exercised by CI.
    suite = "".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "tests").glob("test_*.py"))
    assert '"-m", "index"' in suite and '"build"' in suite


def test_image_runs_as_non_root_with_a_healthcheck_and_a_data_volume() -> None:
    users = commands("USER")
    assert users and users[-1] not in ("root", "0")
    assert "/healthz" in commands("HEALTHCHECK")[0]
    assert commands("VOLUME") == ['["/data"]']
    assert "DATA_DIR=/data" in " ".join(commands("ENV"))


def test_torch_is_the_pinned_cpu_build() -> None:
    assert "torch==2.13.0" in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert any("whl/cpu" in arg for arg in commands("ARG"))
    assert "TORCH_INDEX_URL" in (REPO_ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", "data", ".test-data", ".git"} <= ignored
