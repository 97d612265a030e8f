# Sourced by scripts/lock and scripts/check-newest: how the newest tree is resolved without the
# Python it is for (no Python >= 3.14.2 here): uv resolves for that Python on Linux x86_64.
NEWEST_PYTHON=3.14.2  # the newest Home Assistant needs >= 3.14.2; CI runs the newest 3.14
NEWEST_PLATFORM=x86_64-manylinux_2_28
# Published only as source distributions (pure Python): pip builds them on the spot. Every
# other package must have a wheel for that Python and platform, or the resolution fails.
SOURCE_ONLY=(mock-open pyric)

# install_uv DIR: install the uv that requirements_test.txt pins into a venv under DIR.
install_uv() {
    "$(find_python)" -m venv "$1/uv-venv"
    "$1/uv-venv/bin/pip" install --quiet --disable-pip-version-check \
        "$(grep -i '^uv==' "$ROOT/requirements_test.txt")"
    UV="$1/uv-venv/bin/uv"
}

# resolve_newest REQUIREMENTS...: print the pins of the tree those requirements need.
resolve_newest() {
    local args=(--quiet --no-header --no-annotate --python-version "$NEWEST_PYTHON"
                --python-platform "$NEWEST_PLATFORM" --only-binary :all:) package
    for package in "${SOURCE_ONLY[@]}"; do args+=(--no-binary "$package"); done
    "$UV" pip compile "${args[@]}" "$@"
}
