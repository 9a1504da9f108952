"""The `mplint` command (and `python -m mplint`): `--version` is answered before the command line is built."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from mplint.about import version_text

        sys.stdout.write(version_text())
        return
    from mplint.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
