# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# /// script
# dependencies = ["nox==2026.10.20", "antsibull-nox==1.10.0"]
# ///
"""The test matrix and the release checks of cloudhooks.aws, run by nox with antsibull-nox.

``nox -l`` lists the sessions; scripts/test runs all of them, stage by stage (docs/contributing.md).
antsibull-nox.toml configures the sessions antsibull-nox defines as they are (ansible-lint,
docs-check, build-import-check) and where the collections this one is tested with come from:
tarballs unpacked from the `ansible` wheel on PyPI, since Galaxy is not reachable here. The
sessions below run ansible-test with --local (there is no container engine) and the project's own
pytest suites, through antsibull-nox's public helpers (install_packages, prepare_collections).

The supported ansible-core versions are the files requirements/ansible-<core>.txt: each pins its
ansible-core and says which Pythons it accepts, preferred first (``# python: 3.13 3.12``).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import nox

try:
    import antsibull_nox
    from antsibull_nox.sessions import install_packages, prepare_collections
    from antsibull_nox.sessions.utils.packages import PackageRequirements
except ImportError:
    print("noxfile.py needs antsibull-nox beside nox: run scripts/nox, which installs both into .build/nox")
    sys.exit(1)

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / ".build"
# ansible-test's virtualenvs and caches, ansible-galaxy's and pip's state: under .build/home, not
# in the user's home.
HOME = BUILD / "home"

nox.options.reuse_venv = "yes"  # the pins decide what is installed; a venv is updated, not rebuilt
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"  # only PyPI is reachable
# uv (requirements/nox.txt) makes the sessions' virtualenvs in seconds where pip takes minutes;
# "--seed" puts pip in them, which ansible-test uses. Without uv, virtualenv and pip as usual.
nox.options.default_venv_backend = "uv|virtualenv"
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
try:
    import uv  # noqa: F401  pylint: disable=unused-import
    SEED = ["--seed"]
except ImportError:
    SEED = ["--seed"] if shutil.which("uv") else []


def _version_key(core: str) -> tuple:
    return tuple(int(part) for part in core.split("."))


CORES: List[str] = sorted(
    (path.name[len("ansible-"):-len(".txt")] for path in (ROOT / "requirements").glob("ansible-*.txt")),
    key=_version_key,
)
OLDEST, NEWEST = CORES[0], CORES[-1]


def _pyenv_bins() -> List[str]:
    """The bin directories of pyenv's Pythons: their shims on PATH may not run every version."""
    found = []
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")), Path("/root/.pyenv")]
    for root in sorted(set(roots)):
        found.extend(str(path) for path in sorted((root / "versions").glob("3.*/bin"), reverse=True) if path.is_dir())
    return found


os.environ["PATH"] = os.pathsep.join(_pyenv_bins() + [os.environ.get("PATH", "")])


def _runs(python: str) -> bool:
    path = shutil.which(python)
    return bool(path) and subprocess.run([path, "-c", "import venv"], capture_output=True, check=False).returncode == 0


def core_python(core: str) -> str:
    """The Python a core's sessions run on: the first of its "# python:" line that is here."""
    text = (ROOT / "requirements" / ("ansible-%s.txt" % core)).read_text(encoding="utf-8")
    wanted = next(line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("# python:"))
    return next((version for version in wanted if _runs("python" + version)), wanted[0])


def req(*names: str) -> List[PackageRequirements]:
    return [PackageRequirements("requirements/%s.txt" % name) for name in names]


def core_req(core: str, *names: str) -> List[PackageRequirements]:
    return req("ansible-%s" % core, *names)


# ---------------------------------------------------------------------------------------------
# Collections: the tarballs antsibull-nox.toml names, made from the `ansible` wheels on PyPI.

def _collection_tarballs() -> None:
    """Writes the collection tarballs the sources name, when missing (the first run fetches the
    `ansible` wheels), and forgets what antsibull-nox extracted from older sources."""
    config = ROOT / "antsibull-nox.toml"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "lay_out_collections.py"), "--galaxy-tarballs", str(config)],
                   check=True)
    # antsibull-nox keeps what it downloaded and extracted in .nox/.cache and does not look at a
    # source again once a collection is extracted for a core: start afresh when the sources change.
    cache = ROOT / ".nox" / ".cache"
    stamp = cache / "collection-sources.sha256"
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text() != digest:
        for name in ("downloaded", "extracted"):
            shutil.rmtree(cache / name, ignore_errors=True)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)


# Only the collections antsibull-nox.toml names: not those ansible-galaxy finds installed in the
# user's ~/.ansible/collections or elsewhere.
os.environ.setdefault("ANTSIBULL_NOX_IGNORE_INSTALLED_COLLECTIONS", "true")

if not {"-l", "--list", "--list-sessions", "--json", "--help", "-h", "--version"} & set(sys.argv):
    _collection_tarballs()

antsibull_nox.load_antsibull_nox_toml()


@nox.session(name="collections", python=False, default=False)
def collections(session: nox.Session) -> None:
    """The collection tarballs antsibull-nox.toml names, from the `ansible` wheels (every nox run
    but a listing makes the missing ones; scripts/test's setup stage runs this)."""
    for path in sorted((BUILD / "galaxy").glob("*/*.tar.gz")):
        session.log(str(path.relative_to(ROOT)))


def collections_for(session: nox.Session, core: str, extra: Sequence[str] = ()):
    """This collection with its dependencies (and `extra`) as `core` is tested with them, in an
    ansible_collections/ tree outside the repository (ansible-test and ansible-doc want that)."""
    prepared = prepare_collections(session, ansible_core_version=core, install_in_site_packages=False,
                                   install_out_of_tree=True, extra_collections=list(extra))
    if prepared is None:
        session.error("the collections could not be laid out")
    return prepared


def ansible_test_env(session: nox.Session) -> Dict[str, str]:
    """HOME for ansible-test, with a stand-in for its pip bootstrap (get-pip.py): ansible-test
    downloads that from a host outside PyPI unless it finds it in ~/.ansible/test/cache."""
    pip_version = session.run(
        "python", "-c",
        "import types\n"
        "from ansible_test._internal.python_requirements import get_venv_packages\n"
        "print(get_venv_packages(types.SimpleNamespace(version='%d.%d' % __import__('sys').version_info[:2]))['pip'])",
        silent=True, log=False).strip().splitlines()[-1]
    cache = HOME / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scripts" / "get_pip_stand_in.py", cache / ("get_pip_%s.py" % pip_version.replace(".", "_")))
    return {"HOME": str(HOME), "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1", "PY_COLORS": "0"}


def python_version(session: nox.Session) -> str:
    return str(session.python)


def pytest(session: nox.Session, *args: str, env: Optional[Dict[str, str]] = None) -> None:
    session.run("python", "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", *session.posargs, env=env or {})


# ---------------------------------------------------------------------------------------------
# ansible-test: sanity and units on every core, the integration target on the newest.

# ansible-core 2.22.0rc1's ansible-test installs pylint's dill from a GitHub archive (a commit with
# Python 3.15 support, unreleased), which is out of reach here: its pylint test runs on the newest
# core whose requirements PyPI has, the rest of sanity on the newest.
PYLINT_CORE = "2.21" if NEWEST == "2.22" else NEWEST


def _sanity(name: str, core: str, args: Sequence[str], doc: str) -> None:
    @install_packages(packages=core_req(core))
    def sanity(session: nox.Session) -> None:
        ignores = [str(path) for path in (ROOT / "tests" / "sanity").glob("ignore-*.txt") if path.stat().st_size]
        if ignores:
            session.error("tests/sanity/ignore-*.txt must stay empty: fix the code or the docs instead: " + " ".join(ignores))
        env = ansible_test_env(session)
        prepared = collections_for(session, core)
        with session.chdir(prepared.current_path):
            session.run("ansible-test", "sanity", "--local", "--python", python_version(session), "--color", "no", *args,
                        *session.posargs, env=env)

    sanity.__doc__ = doc
    nox.session(name=name, python=core_python(core), venv_params=SEED, tags=["sanity"])(sanity)


if PYLINT_CORE == NEWEST:
    _sanity("sanity", NEWEST, [], "ansible-test sanity --local on ansible-core %s (no ignore files allowed)." % NEWEST)
else:
    _sanity("sanity", NEWEST, ["--skip-test", "pylint"],
            "ansible-test sanity --local on ansible-core %s, but pylint (no ignore files allowed)." % NEWEST)
    _sanity("sanity-pylint", PYLINT_CORE, ["--test", "pylint"],
            "ansible-test sanity --test pylint on ansible-core %s (2.22's needs a GitHub download)." % PYLINT_CORE)


def _units(core: str) -> None:
    @install_packages(packages=core_req(core))
    def units(session: nox.Session) -> None:
        env = ansible_test_env(session)
        # What `ansible-test units --requirements` installs (its pytest, mock, xdist, within its
        # constraints, and tests/unit/requirements.txt), installed by nox's installer: uv does it
        # in a second where ansible-test's pip takes half a minute per core.
        data = session.run("python", "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))",
                           silent=True, log=False).strip().splitlines()[-1]
        requirements = Path(data) / "_data" / "requirements"
        session.install("-r", str(requirements / "units.txt"), "-c", str(requirements / "constraints.txt"),
                        "-r", "tests/unit/requirements.txt")
        prepared = collections_for(session, core)
        with session.chdir(prepared.current_path):
            session.run("ansible-test", "units", "--local", "--python", python_version(session), "--color", "no",
                        *session.posargs, env=env)

    units.__doc__ = "ansible-test units on ansible-core %s (tests/unit)." % core
    nox.session(name="units-%s" % core, python=core_python(core), venv_params=SEED, tags=["units"])(units)


for _core in CORES:
    _units(_core)


@nox.session(name="units", python=False, requires=["units-%s" % core for core in CORES])
def units(session: nox.Session) -> None:  # pylint: disable=unused-argument
    """The unit tests on every ansible-core (the units-<core> sessions)."""


@nox.session(name="integration", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "e2e"))
def integration(session: nox.Session) -> None:
    """ansible-test integration lambda_invocation --local (its runme.sh starts the local endpoint)."""
    env = ansible_test_env(session)
    prepared = collections_for(session, NEWEST)
    with session.chdir(prepared.current_path):
        session.run("ansible-test", "integration", "lambda_invocation", "--local", "--python", python_version(session),
                    "--color", "no", env=env)


# ---------------------------------------------------------------------------------------------
# The project's own pytest suites.

# What the examples and the end-to-end tests use beside amazon.aws (tests/integration/requirements.yml):
# community.general's archive module (examples/deploy_function.yml) and redis cache plugin.
EXAMPLES_NEED = ["community.general"]


def _e2e(core: str) -> None:
    @install_packages(packages=core_req(core, "e2e"))
    def e2e(session: nox.Session) -> None:
        prepared = collections_for(session, core, extra=EXAMPLES_NEED)
        # Most of a test's time is ansible-playbook starting and the functions sleeping: the newest
        # core's suite, which runs every test, uses two workers (pytest-xdist), each with its own
        # endpoint; the oldest core's, which skips the tests that do not depend on the core, one.
        workers = ["-n", "2"] if core == NEWEST else []
        pytest(session, "tests/integration", *workers, env={
            "CLOUDHOOKS_CORE": core,
            "CLOUDHOOKS_VENV_BIN": str(Path(session.bin)),
            "CLOUDHOOKS_COLLECTIONS": str(prepared.current_place),
        })

    e2e.__doc__ = "The end-to-end suite (pytest tests/integration) on ansible-core %s." % core
    nox.session(name="e2e-%s" % core, python=core_python(core), venv_params=SEED, tags=["e2e"])(e2e)


E2E_CORES = sorted({NEWEST, OLDEST}, key=_version_key, reverse=True)
for _core in E2E_CORES:
    _e2e(_core)


@nox.session(name="endpoint", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "e2e"))
def endpoint(session: nox.Session) -> None:
    """The local Lambda endpoint's own tests (pytest tests/endpoint)."""
    pytest(session, "tests/endpoint")


@nox.session(name="scripts", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "test-common", "docs"))
def scripts(session: nox.Session) -> None:
    """The tests of the project's own scripts (pytest tests/scripts)."""
    pytest(session, "tests/scripts")


@nox.session(name="ee", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "ee"))
def ee(session: nox.Session) -> None:
    """Execution environments: ansible-builder create from examples/execution-environment.yml (pytest tests/ee)."""
    prepared = collections_for(session, NEWEST)
    pytest(session, "tests/ee", env={"CLOUDHOOKS_COLLECTIONS": str(prepared.current_place)})


# ---------------------------------------------------------------------------------------------
# Release checks that antsibull-nox has no session for.

@nox.session(name="changelog", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "changelog"))
def changelog(session: nox.Session) -> None:
    """antsibull-changelog lint, and CHANGELOG.md is what changelogs/changelog.yaml renders to."""
    session.run("antsibull-changelog", "lint", "-v")
    session.run("antsibull-changelog", "lint-changelog-yaml", "changelogs/changelog.yaml")
    work = Path(session.create_tmp()) / "changelog"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("galaxy.yml", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, work / name)
    shutil.copytree(ROOT / "changelogs", work / "changelogs")
    with session.chdir(work):
        session.run("antsibull-changelog", "generate")
    if (work / "CHANGELOG.md").read_bytes() != (ROOT / "CHANGELOG.md").read_bytes():
        session.run("diff", "-u", str(ROOT / "CHANGELOG.md"), str(work / "CHANGELOG.md"), external=True, success_codes=[0, 1])
        session.error("CHANGELOG.md is not what changelogs/changelog.yaml gives: run antsibull-changelog generate")


@nox.session(name="release", python=core_python(NEWEST), venv_params=SEED, default=False)
@install_packages(packages=core_req(NEWEST, "changelog"))
def release(session: nox.Session) -> None:
    """antsibull-changelog release: set the version in galaxy.yml and add a release_summary fragment first."""
    # antsibull-changelog finds the new plugins with ansible-doc, which must see this collection (and
    # amazon.aws, whose doc fragments it uses) under an ansible_collections/ tree.
    prepared = collections_for(session, NEWEST)
    session.run("antsibull-changelog", "release", *session.posargs,
                env={"ANSIBLE_COLLECTIONS_PATH": str(prepared.current_place),
                     "PYTHONWARNINGS": "ignore:DSA is deprecated::ansible._internal._ssh._ssh_agent"})


@nox.session(name="docs", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "docs"))
def docs(session: nox.Session) -> None:
    """docs/lambda_invocation.md is what the module's documentation renders to (scripts/gen_docs.py; -- --write writes it)."""
    prepared = collections_for(session, NEWEST)
    # `nox -s docs -- --write` writes the page instead of checking it.
    check = [] if "--write" in session.posargs else ["--check"]
    session.run("python", "scripts/gen_docs.py", *check, "--collections-path", str(prepared.current_place),
                *[arg for arg in session.posargs if arg != "--write"])


@nox.session(name="installed", python=core_python(NEWEST), venv_params=SEED)
@install_packages(packages=core_req(NEWEST, "e2e"))
def installed(session: nox.Session) -> None:
    """From the built tarball, installed beside its dependencies: ansible-doc reads it, module_defaults
    for group/cloudhooks.aws.aws reach the module (a stand-in endpoint checks the requests), and the
    demo runs (scripts/demo_steps)."""
    prepared = collections_for(session, NEWEST, extra=EXAMPLES_NEED)
    tmp = Path(session.create_tmp()).resolve()
    dist, place = tmp / "dist", tmp / "installed"
    for path in (dist, place):
        shutil.rmtree(path, ignore_errors=True)
    dist.mkdir()
    env = {"ANSIBLE_COLLECTIONS_PATH": str(place), "HOME": str(HOME)}
    session.run("ansible-galaxy", "collection", "build", "--output-path", str(dist), str(ROOT), env=env)
    tarball = next(dist.glob("cloudhooks-aws-*.tar.gz"))
    _check_tarball(session, tarball)
    session.run("ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(place), str(tarball), env=env)
    for namespace_dir in prepared.collections_root.iterdir():  # the dependencies, as antsibull-nox laid them out
        if namespace_dir.name != "cloudhooks":
            (place / "ansible_collections" / namespace_dir.name).symlink_to(namespace_dir)
    session.run("ansible-galaxy", "collection", "list", env=env)
    session.run("ansible-doc", "cloudhooks.aws.lambda_invocation", env=env)
    doc = subprocess.run([str(Path(session.bin) / "ansible-doc"), "--json", "cloudhooks.aws.lambda_invocation"],
                         env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout
    checked = subprocess.run([str(Path(session.bin) / "python"), "scripts/check_ansible_doc.py", str(place) + "/"],
                             input=doc, text=True, check=False)
    if checked.returncode:
        session.error("ansible-doc did not read the installed collection as it should")
    session.run("python", "scripts/check_module_defaults.py", "--run", str(place), str(tmp / "module_defaults"), env={"HOME": str(HOME)})
    session.run("bash", "scripts/demo_steps", external=True,
                env={"DEMO_PYTHON": str(Path(session.bin) / "python"), "DEMO_COLLECTIONS_PATH": str(place)})


# Paths the tarball must hold, and what galaxy.yml's build_ignore must keep out of it.
TARBALL_REQUIRED = ["MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "changelogs/changelog.yaml",
                    "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
                    "docs/lambda_invocation.md", "plugins/modules/lambda_invocation.py",
                    "docs/lambda_invocation_info.md", "plugins/modules/lambda_invocation_info.py",
                    "plugins/action/lambda_invocation.py", "plugins/action/lambda_invocation_info.py",
                    "plugins/module_utils/lambda_client.py", "plugins/plugin_utils/runner.py",
                    "plugins/plugin_utils/stores/base.py", "plugins/doc_fragments/record_store.py"]
TARBALL_UNWANTED = re.compile(r"^(\.build|\.nox|\.git|\.ci|bench|scripts|tools|tests/output|requirements|noxfile\.py"
                              r"|antsibull-nox\.toml)(/|$)|(^|/)(__pycache__|\.pytest_cache)(/|$)|\.pyc$")


def _check_tarball(session: nox.Session, tarball: Path) -> None:
    with tarfile.open(tarball) as tar:
        names = sorted(name[2:] if name.startswith("./") else name for name in tar.getnames())
    session.log("%d entries in %s" % (len(names), tarball.name))
    unwanted = [name for name in names if TARBALL_UNWANTED.search(name)]
    if unwanted:
        session.error("the tarball holds files that build_ignore in galaxy.yml should keep out: " + " ".join(unwanted))
    missing = [name for name in TARBALL_REQUIRED if name not in names]
    if missing:
        session.error("the tarball lacks " + " ".join(missing))


# ---------------------------------------------------------------------------------------------
# What the README's first command and the benchmarks run.

@nox.session(name="demo", python=core_python(NEWEST), venv_params=SEED, default=False)
def demo(session: nox.Session) -> None:
    """scripts/demo: the local endpoint and examples/demo.yml (create, no change, update, delete)."""
    # The installer's own output, not nox's silence: the first run downloads for a while.
    args = [arg for requirements in core_req(NEWEST, "e2e") for arg in requirements.get_pip_install_args()]
    session.install(*args, silent=False)
    prepared = collections_for(session, NEWEST, extra=EXAMPLES_NEED)
    session.run("bash", "scripts/demo_steps", external=True,
                env={"DEMO_PYTHON": str(Path(session.bin) / "python"), "DEMO_COLLECTIONS_PATH": str(prepared.current_place)})


@nox.session(name="bench", python=core_python(NEWEST), venv_params=SEED, default=False)
@install_packages(packages=core_req(NEWEST, "e2e"))
def bench(session: nox.Session) -> None:
    """bench/bench.py (bench/run): the benchmarks, as ratios; --smoke checks only (nox -s bench -- --smoke)."""
    prepared = collections_for(session, NEWEST)
    # bench.py reads .build/collections (and writes docs/performance.md only for that tree).
    link = BUILD / "collections"
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(prepared.current_place)
    # Figure 7 compares the newest core with 2.19, from a venv of its own.
    old = Path(session.virtualenv.location).resolve() / "ansible-2.19"
    old_python = old / "bin" / "python"
    requirements = ["-r", "requirements/ansible-2.19.txt", "-r", "requirements/test-common.txt"]
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv:
        if not old_python.is_file():
            session.run(uv, "venv", "-q", "--python", core_python("2.19"), str(old), external=True)
        session.run(uv, "pip", "install", "-q", "--python", str(old_python), *requirements, external=True)
    else:
        if not old_python.is_file():
            session.run(shutil.which("python" + core_python("2.19")) or "python3", "-m", "venv", str(old), external=True)
        session.run(str(old_python), "-m", "pip", "install", "-q", *requirements, external=True)
    session.run("python", "bench/bench.py", *session.posargs, env={"CLOUDHOOKS_BENCH_OLD_PYTHON": str(old_python)})
