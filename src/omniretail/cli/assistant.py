"""``omniretail assistant``: ask the service assistant (FAQ bot) a question."""

from __future__ import annotations

import json

import typer

NAME = "assistant"
app = typer.Typer(help="Service assistant (智能客服): the FAQ bot.", no_args_is_help=True)


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="The customer's question."),
    customer: str | None = typer.Option(None, "--customer", help="The identified customer's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: answer, intent, abstained."),
) -> None:
    """Answer one question; with --customer, transactional questions use that customer's data."""
    from omniretail.care.assistant import service

    if customer is None:
        reply = service.ask(None, question=question)
    else:
        from omniretail.cli._operator import for_customer
        from omniretail.platform.db import session_scope

        with session_scope() as session:  # another store's customer is unknown
            for_customer(session, "read", customer)
            reply = service.ask(session, question=question, customer_id=customer)
    if as_json:
        typer.echo(json.dumps(reply.as_dict(), ensure_ascii=False))
    else:
        typer.echo(reply.answer + ("  [转人工]" if reply.abstained else ""))
