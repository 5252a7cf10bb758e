"""The README stays a page read in minutes: at most 300 lines, the Quickstart block CI runs (two commands: install
and demo, install and test), and links that lead to existing pages."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_is_short():
    assert len(README.splitlines()) <= 300


def test_quickstart_is_one_block_of_two_commands_as_ci_extracts_them():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.M | re.S)
    assert len(blocks) == 1
    install, test = blocks[0].strip().splitlines()
    assert install.startswith("pip install -e ") and install.endswith("keras-imnn demo")
    assert test.startswith("pip install -e ") and " pytest " in test
    # .ci/run's own extraction gives the same test command
    awk = r"/^## Quickstart/{q=1} q&&/^```/{n++; next} q&&n==1{print}"
    extracted = subprocess.run(["awk", awk, str(ROOT / "README.md")], capture_output=True, text=True, check=True)
    assert extracted.stdout.splitlines()[1] == test


def test_local_links_lead_to_existing_files():
    targets = [t for t in re.findall(r"\]\(([^)\s]+)\)", README) if not re.match(r"https?:", t)]
    assert targets and [t for t in targets if not (ROOT / t.split("#")[0]).exists()] == []


def test_every_docs_page_in_the_nav_exists_or_is_generated(gen_pages):
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$|^\s*-\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    pages = {a or b for a, b in nav}
    generated = set(gen_pages.all_pages())
    assert pages and [p for p in pages if not (ROOT / "docs" / p).exists() and p not in generated] == []


def test_license_citation_and_changelog_match_the_package():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["license"] == "Apache-2.0"
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{cfg['metadata']['version']}]" in changelog
    yaml = __import__("pytest").importorskip("yaml")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == cfg["metadata"]["version"] and citation["license"] == "Apache-2.0"
    assert citation["preferred-citation"]["identifiers"][0]["value"] == "arXiv:2406.08318"
