"""`ero rules check FILE | publish FILE | eval [CORPUS...]`: the classification rule catalog."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ero.cli.common import CliError, Subparsers, read_settings, running_api_request

if TYPE_CHECKING:
    from processors.catalog import Catalog


def register(commands: Subparsers) -> None:
    rules = commands.add_parser("rules", help="the classification rule catalog").add_subparsers(
        dest="rules_command", required=True
    )
    check_command = rules.add_parser("check", help="validate a catalog file")
    check_command.add_argument("file")
    check_command.set_defaults(func=check)
    publish_command = rules.add_parser(
        "publish", help="validate and publish a catalog to the workers"
    )
    publish_command.add_argument("file")
    publish_command.set_defaults(func=publish)
    eval_command = rules.add_parser("eval", help="accuracy of the classifier on labelled corpora")
    eval_command.add_argument("corpus", nargs="*", help="JSONL files with `expected` labels")
    eval_command.add_argument("--catalog", help="a catalog file (default: the bundled one)")
    eval_command.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    eval_command.set_defaults(func=evaluate)


def read_catalog(path: str) -> Catalog:
    from processors.catalog import CatalogError, parse_catalog

    try:
        return parse_catalog(Path(path).read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except CatalogError as exc:
        raise CliError(str(exc)) from exc


def check(args: argparse.Namespace) -> None:
    catalog = read_catalog(args.file)
    print(f"{args.file}: valid, version {catalog.version}, {len(catalog.rules)} rules")
    for slug, rule_ids in _without_article(catalog).items():
        print(f"warning: no article knowledge/articles/{slug}.md for {', '.join(rule_ids)}")


def _without_article(catalog: Catalog) -> dict[str, list[str]]:
    """The slugs ERO has no article for: their links open /aide's not-found page (unless the
    links point at the vendor's own knowledge base, ERO_KB_BASE_URL)."""
    from knowledge.articles import load_articles

    articles = load_articles()
    return {slug: ids for slug, ids in catalog.slugs().items() if slug not in articles}


def publish(args: argparse.Namespace) -> None:
    settings = read_settings()
    catalog = read_catalog(args.file)
    running_api_request(settings, "POST", "/v1/admin/rules", catalog.model_dump_json().encode())
    print(f"published rules version {catalog.version}: workers apply it to new events")


def evaluate(args: argparse.Namespace) -> None:
    from processors.catalog import load_catalog
    from processors.classifier import Classifier
    from processors.evaluation import BUNDLED_CORPORA, evaluate, table

    catalog = read_catalog(args.catalog) if args.catalog else load_catalog()
    classifier = Classifier(catalog)
    corpora = [Path(p) for p in args.corpus] or list(BUNDLED_CORPORA)
    results = []
    for path in corpora:
        try:
            results.append(evaluate(classifier, path.name, path.read_bytes().splitlines()))
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    print(f"rules version {catalog.version}")
    print(table(results))
    if args.verbose:
        for scores in results:
            for miss in scores.misses:
                print(f"  {scores.name}: {miss}")
