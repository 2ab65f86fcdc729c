"""The dependency rule of the guide (§1) holds, and a wrong import breaks it."""

import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint() -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_code_keeps_every_import_contract():
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_kernel_module_that_imports_an_app_breaks_the_contract():
    probe = ROOT / "coalition" / f"lint_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text("import members.models  # noqa: F401\n")
    try:
        result = _lint()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert f"{probe.stem} -> members.models" in result.stdout


def test_newsletters_importing_campaigns_breaks_the_contract():
    probe = ROOT / "newsletters" / f"lint_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text("import campaigns.models  # noqa: F401\n")
    try:
        result = _lint()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "campaigns.models" in result.stdout
