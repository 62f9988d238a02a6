"""The command's exit codes (``scratchnn.cli.status.ExitStatus``) and the errors that carry them,
including a ``CommandError`` raised outside the command line (the playground's server)."""

from __future__ import annotations

import pytest

from scratchnn import cli
from scratchnn.errors import CommandError


def test_the_exit_codes_are_one_enum_with_the_shells_numbers():
    assert {status.name: int(status) for status in cli.ExitStatus} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "INTERRUPTED": 130, "BROKEN_PIPE": 141,
        "TERMINATED": 143}


def test_the_errors_carry_their_exit_status():
    assert issubclass(cli.CLIError, CommandError)
    assert cli.CLIError("x").exit_code is cli.ExitStatus.ERROR
    assert cli.UsageError("x").exit_code is cli.ExitStatus.USAGE
    assert cli.Interrupted("x").exit_code is cli.ExitStatus.INTERRUPTED


def test_a_command_error_from_the_playground_is_one_line_and_exit_1(monkeypatch,
                                                                     run_cli_inprocess):
    from scratchnn import playground

    def port_taken(args):
        raise CommandError("cannot listen on 127.0.0.1 port 8000: Address already in use; "
                           "choose another --port (0 picks a free one) or --host")

    monkeypatch.setattr(playground, "run", port_taken)
    code, out, err = run_cli_inprocess("playground", "--no-browser")
    assert (code, out) == (cli.ExitStatus.ERROR, "")
    assert err == ("scratchnn: error: cannot listen on 127.0.0.1 port 8000: Address already in "
                   "use; choose another --port (0 picks a free one) or --host\n")


@pytest.mark.parametrize(("argv", "status"), [(["datasets"], cli.ExitStatus.OK),
                                              (["datasets", "--nope"], cli.ExitStatus.USAGE)])
def test_main_returns_an_exit_status(argv, status, run_cli_inprocess):
    code, _, _ = run_cli_inprocess(*argv)
    assert code == status
