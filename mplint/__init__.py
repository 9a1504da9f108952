"""mplint: a policy and permissions linter for stackql-deploy stacks."""

__version__ = "0.1.0"

HOMEPAGE = "https://github.com/mplint/mplint"
