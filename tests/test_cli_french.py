"""`python -m pst_data` speaks French in argparse's own texts too (help, usage, errors),
in this process, without touching argparse for anyone else."""

from __future__ import annotations

import argparse
import gettext

import pytest

from pst_data.cli import main

ENGLISH = ("usage:", "positional arguments", "options:", "show this help message", "error:", "required",
           "invalid choice", "choose from", "unrecognized arguments", "expected one argument", "invalid int value")


def _run(capsys, *args: str):
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def _no_english(text: str) -> None:
    found = [word for word in ENGLISH if word in text]
    assert not found, f"English left: {found}\n{text}"


@pytest.mark.parametrize("args", [("--help",), ("import", "--help"), ("user", "add", "--help")])
def test_help_is_in_french(capsys, args):
    code, out, err = _run(capsys, *args)
    assert code == 0 and not err
    assert out.startswith("utilisation : python -m pst_data")
    for french in ("arguments positionnels :", "options :", "-h, --help", "afficher cette aide et quitter"):
        assert french in out
    _no_english(out)
    # only our parser: argparse stays English for everyone else in the process (pytest, alembic…)
    assert argparse._ is gettext.gettext and argparse.ngettext is gettext.ngettext
    assert argparse.ArgumentParser(prog="autre").format_usage().startswith("usage: autre")


@pytest.mark.parametrize("args, message", [
    (("nope",), "python -m pst_data : erreur : argument COMMANDE : choix invalide : 'nope' (valeurs possibles : "),
    (("export",), "python -m pst_data export : erreur : arguments obligatoires manquants : --plan"),
    (("export", "--plan", "x", "--format", "doc"), "erreur : argument --format : choix invalide : 'doc' "
                                                   "(valeurs possibles : 'json', 'yaml'"),
    (("user", "add", "x", "--role", "chef", "--nope"), "python -m pst_data : erreur : arguments non reconnus : --nope"),
    (("export", "--plan"), "erreur : argument --plan : une valeur attendue"),
    (("export", "--plan", "x", "--exercice", "abc"), "erreur : argument --exercice : valeur invalide : 'abc'"),
])
def test_errors_are_in_french_and_exit_2(capsys, args, message):
    code, out, err = _run(capsys, *args)
    assert code == 2 and not out
    assert err.startswith("utilisation : python -m pst_data")
    assert message in err
    _no_english(err)



@pytest.mark.parametrize("argument, shown", [("caf\udce9", "caf\\xe9"), ("a\x1bb", "a\\x1bb")])
def test_a_byte_that_is_not_utf8_on_the_command_line_is_named_in_french(capsys, argument, shown):
    """A Latin-1 « é » typed in an old terminal arrives as a lone surrogate: it gave an English
    codec error. Refused before anything runs, the byte shown."""
    for args in (["status", "--plan", argument], [argument]):
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 2 and not out
        assert err.strip() == (f"L'argument « {shown} » contient un octet qui n'est pas de l'UTF-8 ou un caractère "
                               "de contrôle : le terminal doit écrire en UTF-8. Rien n'a été fait.")
