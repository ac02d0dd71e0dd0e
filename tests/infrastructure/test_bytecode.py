"""The built package ships bytecode for the runtime's Python, with the paths Lambda sees: a cold start
then loads modules instead of compiling them on a read-only file system.

A real `sam build` takes a minute and the network; this builds a small artifact of the same shape (the
package as SAM copies it, beside a dependency) and runs on it the very script `make build` runs."""

from __future__ import annotations

import importlib.util
import marshal
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "postdesk_tools" / "bytecode.py"
HASH_BASED_UNCHECKED = 0b01  # PEP 552: hash-based, source not checked


def _artifact(build_dir: Path, name: str) -> Path:
    """What sam build leaves for one function: the package and its dependencies, no bytecode."""
    artifact = build_dir / name
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "functions" / "postdesk", artifact / "postdesk", ignore=ignore)
    jmespath = Path(importlib.util.find_spec("jmespath").origin).parent  # type: ignore[arg-type, union-attr]
    shutil.copytree(jmespath, artifact / "jmespath", ignore=ignore)
    return artifact


def test_make_build_compiles_after_sam_build_with_the_same_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nbuild:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines()[1:]]
    assert "sam build" in lines[0].replace("$(SAM)", "sam")
    assert lines[1] == "$(PYTHON_BOOT) infra/postdesk_tools/bytecode.py $(BUILD_DIR)"
    assert "BuildMethod" not in (ROOT / "template.yaml").read_text(encoding="utf-8")


def test_every_module_of_every_artifact_has_python_3_12_bytecode_for_var_task(tmp_path: Path) -> None:
    # Given two function artifacts as sam build leaves them
    build_dir = tmp_path / "build"
    artifacts = [_artifact(build_dir, name) for name in ("ApiFunction", "PublishFunction")]
    (build_dir / "template.yaml").write_text("Resources: {}\n")

    # When make build's compile step runs on them
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(build_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "compiled 2 artifacts" in done.stdout

    for artifact in artifacts:
        sources = sorted(artifact.rglob("*.py"))
        assert len(sources) > 50
        for source in sources:
            # Then beside each module is its bytecode for CPython 3.12
            compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
            assert compiled.is_file(), source.relative_to(artifact)
        # And it is never re-checked against a source timestamp that a zip does not keep
        sample = artifact / "postdesk" / "handlers" / "__pycache__" / "api.cpython-312.pyc"
        data = sample.read_bytes()
        assert int.from_bytes(data[4:8], "little") == HASH_BASED_UNCHECKED
        # And its paths are those Lambda sees
        code = marshal.loads(data[16:])
        assert code.co_filename == "/var/task/postdesk/handlers/api.py"


def test_the_script_refuses_another_python_than_the_runtime_s(tmp_path: Path) -> None:
    other = shutil.which("python3.11") or shutil.which("python3")
    assert other is not None
    version = subprocess.run([other, "--version"], capture_output=True, text=True, check=True).stdout
    if re.search(r"3\.12\.", version):
        return  # no other Python on this machine to refuse
    (tmp_path / "build" / "Fn" / "pkg").mkdir(parents=True)
    (tmp_path / "build" / "Fn" / "pkg" / "__init__.py").write_text("")
    done = subprocess.run(
        [other, str(SCRIPT), str(tmp_path / "build")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "must be compiled by Python 3.12" in done.stderr
