"""scripts/setup.sh: which Odoo it picks, its stamp, and its answers to bad sources.

The real script runs in a copy of the repository's layout under a temporary folder, with small
fake Odoo source trees (odoo/release.py, requirements.txt), so nothing here needs a network:
builds install empty requirement files with pip's index switched off.
"""

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "setup.sh"

RELEASE_PY = """\
RELEASE_LEVELS = [ALPHA, BETA, RELEASE_CANDIDATE, FINAL] = ['alpha', 'beta', 'candidate', 'final']
version_info = ({major}, 0, 0, FINAL, 0, '')
series = serie = major_version = '.'.join(str(s) for s in version_info[:2])
"""


def make_odoo_tree(parent, major=18, requirements=""):
    """An Odoo-shaped source tree: parent/odoo-<major>.0/{odoo/release.py, requirements.txt}."""
    root = Path(parent) / f"odoo-{major}.0"
    (root / "odoo" / "addons" / "base").mkdir(parents=True)
    (root / "odoo" / "__init__.py").write_text("")
    (root / "odoo" / "release.py").write_text(RELEASE_PY.format(major=major))
    (root / "requirements.txt").write_text(requirements)
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    return root


def make_archive(tree, path):
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tree, arcname=tree.name)
    return path


@pytest.fixture
def layout(tmp_path):
    """repo/scripts/setup.sh and repo/requirements-dev.txt (empty), shared/odoo/ beside repo."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts" / "setup.sh")
    (repo / "requirements-dev.txt").write_text("# nothing to install in these tests\n")
    (tmp_path / "shared" / "odoo").mkdir(parents=True)
    return tmp_path


def run_setup(layout, *args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHON", "ODOO_SOURCE", "PUNCHOUT_VENV", "PYTHONPATH")
    }
    env.update(PIP_NO_INDEX="1", BASE_PYTHON=sys.executable)
    env.update({key: str(value) for key, value in env_overrides.items() if value is not None})
    return subprocess.run(
        ["bash", str(layout / "repo" / "scripts" / "setup.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def plan(layout, **env):
    """The decision of `setup.sh --plan`: {'python': ..., 'source': ..., 'action': ...}."""
    result = run_setup(layout, "--plan", **env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("setup: python:"))
    fields = dict(part.split(": ", 1) for part in line[len("setup: ") :].split("; "))
    assert result.stdout.strip().splitlines()[-1] == f"PYTHON={fields['python']}"
    return fields


def assert_refused(result, fragment, venv):
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert fragment in errors[0], errors[0]
    assert not venv.exists(), "a refused source must leave no environment behind"


# --- which Odoo ---------------------------------------------------------------------------------


def test_python_given_is_used_when_it_imports_odoo_18(layout, tmp_path):
    fake = make_odoo_tree(tmp_path / "fake", 18)
    result = run_setup(
        layout, "--plan", PYTHON=sys.executable, PYTHONPATH=fake, PUNCHOUT_VENV=tmp_path / "v"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"PYTHON={sys.executable}"
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("major", [17, 19])
def test_python_given_with_another_odoo_is_refused(layout, tmp_path, major):
    fake = make_odoo_tree(tmp_path / "fake", major)
    result = run_setup(
        layout, "--plan", PYTHON=sys.executable, PYTHONPATH=fake, PUNCHOUT_VENV=tmp_path / "v"
    )
    assert_refused(result, f"has Odoo {major}.0", tmp_path / "v")


def test_python_given_without_odoo_is_refused(layout, tmp_path):
    # An interpreter without site-packages: whatever the test runs under, it has no Odoo.
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    bare.chmod(0o755)
    result = run_setup(layout, "--plan", PYTHON=bare, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "cannot import the 'odoo' package", tmp_path / "v")


def test_shared_archive_is_the_default_source(layout, tmp_path):
    tree = make_odoo_tree(tmp_path / "src", 18)
    shared = make_archive(tree, layout / "shared" / "odoo" / "odoo-18.0.tar.xz")
    decision = plan(layout, PUNCHOUT_VENV=tmp_path / "v")
    assert decision == {
        "python": f"{tmp_path}/v/bin/python",
        "source": str(shared),
        "action": "build",
    }


def test_odoo_source_wins_over_the_shared_archive(layout, tmp_path):
    make_archive(
        make_odoo_tree(tmp_path / "a", 18), layout / "shared" / "odoo" / "odoo-18.0.tar.xz"
    )
    tree = make_odoo_tree(tmp_path / "b", 18)
    assert plan(layout, ODOO_SOURCE=tree, PUNCHOUT_VENV=tmp_path / "v")["source"] == str(tree)
    # A folder holding one unpacked source tree (as an unpacked tarball is) is taken too.
    assert plan(layout, ODOO_SOURCE=tree.parent, PUNCHOUT_VENV=tmp_path / "v")["action"] == "build"


def test_no_source_at_all_says_how_to_get_one(layout, tmp_path):
    result = run_setup(layout, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "Odoo 18 is missing", tmp_path / "v")
    assert "ODOO_SOURCE" in result.stderr and "PYTHON" in result.stderr


# --- bad sources --------------------------------------------------------------------------------


def test_source_pointing_to_nothing(layout, tmp_path):
    result = run_setup(layout, ODOO_SOURCE=tmp_path / "nowhere", PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "does not exist", tmp_path / "v")


def test_source_folder_without_odoo(layout, tmp_path):
    (tmp_path / "plain" / "something").mkdir(parents=True)
    result = run_setup(layout, ODOO_SOURCE=tmp_path / "plain", PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "holds no Odoo source tree", tmp_path / "v")


@pytest.mark.parametrize("major", [17, 19])
@pytest.mark.parametrize("as_archive", [False, True])
def test_source_of_another_odoo_version(layout, tmp_path, major, as_archive):
    source = make_odoo_tree(tmp_path / "src", major)
    if as_archive:
        source = make_archive(source, tmp_path / f"odoo_{major}.0.tar.gz")
    result = run_setup(layout, ODOO_SOURCE=source, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, f"is Odoo {major}.0; oci_punchout needs Odoo 18.0", tmp_path / "v")


def test_corrupt_archive(layout, tmp_path):
    good = make_archive(make_odoo_tree(tmp_path / "src", 18), tmp_path / "good.tar.gz")
    corrupt = tmp_path / "odoo_18.0.tar.gz"
    corrupt.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    result = run_setup(layout, ODOO_SOURCE=corrupt, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "corrupt or truncated archive", tmp_path / "v")


def test_archive_without_odoo(layout, tmp_path):
    (tmp_path / "other" / "pkg").mkdir(parents=True)
    (tmp_path / "other" / "pkg" / "README").write_text("not odoo")
    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "other" / "pkg", arcname="pkg")
    result = run_setup(layout, ODOO_SOURCE=archive, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "holds no Odoo source tree", tmp_path / "v")


def test_file_that_is_no_archive(layout, tmp_path):
    note = tmp_path / "odoo.zip"
    note.write_text("zip archives are not taken")
    result = run_setup(layout, ODOO_SOURCE=note, PUNCHOUT_VENV=tmp_path / "v")
    assert_refused(result, "neither a folder nor a .tar.gz", tmp_path / "v")


# --- building and the stamp ---------------------------------------------------------------------


def test_build_then_reuse_then_rebuild_on_change(layout, tmp_path):
    tree = make_odoo_tree(tmp_path / "src", 18)
    archive = make_archive(tree, tmp_path / "odoo_18.0.tar.gz")
    venv = tmp_path / "v"

    built = run_setup(layout, ODOO_SOURCE=archive, PUNCHOUT_VENV=venv)
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().splitlines()[-1] == f"PYTHON={venv}/bin/python"
    # Progress in a few plain lines, pip's own output in the log.
    assert 2 <= len(built.stderr.splitlines()) <= 8, built.stderr
    assert (venv / "setup.log").exists()
    # The archive is unpacked under the environment and imported from there.
    imported = subprocess.run(
        [venv / "bin" / "python", "-c", "import odoo.release, odoo; print(odoo.release.serie)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "18.0"
    assert (venv / "src" / "odoo-18.0" / "odoo" / "release.py").exists()

    assert plan(layout, ODOO_SOURCE=archive, PUNCHOUT_VENV=venv)["action"] == "use"
    # Unset source and no shared archive: the finished environment is kept.
    assert plan(layout, PUNCHOUT_VENV=venv)["action"] == "use"

    # Another source (its requirements changed): built again.
    (tree / "requirements.txt").write_text("# changed\n")
    changed = make_archive(tree, tmp_path / "odoo_18.0.changed.tar.gz")
    assert plan(layout, ODOO_SOURCE=changed, PUNCHOUT_VENV=venv)["action"] == "rebuild"
    # The project's own requirements changed: built again.
    (layout / "repo" / "requirements-dev.txt").write_text("# another tool\n")
    assert plan(layout, ODOO_SOURCE=archive, PUNCHOUT_VENV=venv)["action"] == "rebuild"


def test_failed_build_is_never_taken_for_a_good_environment(layout, tmp_path):
    tree = make_odoo_tree(tmp_path / "src", 18, requirements="no-such-package-anywhere==1.0\n")
    venv = tmp_path / "v"
    failed = run_setup(layout, ODOO_SOURCE=tree, PUNCHOUT_VENV=venv)
    assert failed.returncode != 0
    assert "pip install failed" in failed.stderr
    assert not (venv / ".oci_punchout-stamp").exists()
    assert plan(layout, ODOO_SOURCE=tree, PUNCHOUT_VENV=venv)["action"] == "rebuild"
    # Without a source, the unfinished environment is not used either.
    unsourced = run_setup(layout, "--plan", PUNCHOUT_VENV=venv)
    assert unsourced.returncode != 0
    assert "Odoo 18 is missing" in unsourced.stderr
