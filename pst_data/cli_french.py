"""argparse in French, for ``python -m pst_data``.

argparse passes its own texts ("usage: ", "positional arguments", error messages…) through the
module-level functions ``argparse._`` and ``argparse.ngettext`` (gettext). FrenchArgumentParser swaps
them for the table below only while one of its methods runs, so argparse stays English for every
other user in the process (pytest, alembic…). Sub-parsers are French too: add_subparsers() uses
type(parser) as parser_class.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager

# Section titles end with a space: argparse writes "%s:" after them, and French wants "options :".
FRENCH = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments positionnels ",
    "options": "options ",
    "subcommands": "sous-commandes ",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (valeurs possibles : %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue : %(parser_name)r (valeurs possibles : %(choices)s)",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur inattendue %r (cette option n'en prend pas)",
    "unexpected option string: %s": "option inattendue : %s",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
    # the type's name ("int") is Python jargon: left out
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}


def _french(text):
    return FRENCH.get(text, text)


def _french_plural(singular, plural, n):
    return _french(singular if n == 1 else plural)


@contextmanager
def _in_french():
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _french, _french_plural
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class FrenchArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose framework texts (help, usage, errors) are in French."""


# Every entry point that reaches an argparse text (parsing calls error() and print_help() inside).
for _name in ("__init__", "add_subparsers", "parse_known_args", "parse_args", "format_usage", "format_help", "error"):
    setattr(FrenchArgumentParser, _name, _in_french()(getattr(argparse.ArgumentParser, _name)))
