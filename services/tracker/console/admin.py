"""The administrators' accounts page: the same use cases as `tipline-staff`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.common.auth import Role
from services.common.pages import choose_language
from services.common.tokens import scope_ids
from services.tracker.console import accounts
from services.tracker.console.deps import Administrator, ConsoleDep, form_of, text_of, texts_of
from services.tracker.console.pages import PAGES
from services.tracker.console.texts import CONSOLE_TEXTS

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    console: accounts.Console,
    who: accounts.Current,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    table = console.routing
    return PAGES.render(
        request,
        "accounts.html",
        who=who,
        status_code=status_code,
        accounts=await console.accounts.all(),
        roles=[r.value for r in Role],
        provinces=scope_ids(table)[0],
        teams=scope_ids(table)[1],
        **context,
    )


@router.get("/console/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, who: Administrator, console: ConsoleDep) -> HTMLResponse:
    return await _page(request, console, who)


@router.post("/console/accounts", response_class=HTMLResponse)
async def create(request: Request, who: Administrator, console: ConsoleDep) -> HTMLResponse:
    form = await form_of(request, who)
    values = {k: text_of(form, k, 100) for k in ("account", "name", "role")}
    lang = choose_language(request, text_of(form, "lang", 2) or None)
    try:
        role = Role(values["role"])
    except ValueError:
        problem = accounts.AccountProblem("role", "one of " + ", ".join(r.value for r in Role))
        return await _page(request, console, who, status_code=422, problem=problem, values=values)
    password = accounts.new_password()
    try:
        account = await accounts.create_account(
            console,
            values["account"].strip(),
            values["name"],
            role,
            password,
            provinces=texts_of(form, "province"),
            teams=texts_of(form, "team"),
        )
    except accounts.AccountProblem as problem:
        return await _page(request, console, who, status_code=422, problem=problem, values=values)
    log.info("console account created", extra={"account": account.id, "by": who.account.id})
    notice = CONSOLE_TEXTS[lang]["account_created"].format(account=account.id)
    return await _page(request, console, who, notice=notice, password=password)


@router.post("/console/accounts/{account_id}/{change}", response_class=HTMLResponse)
async def change(
    request: Request, account_id: str, change: str, who: Administrator, console: ConsoleDep
) -> Response:
    form = await form_of(request, who)
    lang = choose_language(request, text_of(form, "lang", 2) or None)
    text = CONSOLE_TEXTS[lang]
    try:
        if change == "disable":
            account = await accounts.disable_account(console, account_id)
        elif change == "enable":
            account = await accounts.enable_account(console, account_id)
        elif change == "reset":
            password = accounts.new_password()
            account = await accounts.reset_account(console, account_id, password)
            notice = text["account_reset"].format(account=account.id)
            return await _page(request, console, who, notice=notice, password=password)
        else:
            return await _page(request, console, who, status_code=404)
    except accounts.AccountProblem as problem:
        return await _page(request, console, who, status_code=404, problem=problem)
    log.info("console account changed", extra={"account": account.id, "change": change})
    state = text[f"state_{account.state}"]
    notice = text["account_changed"].format(account=account.id, state=state)
    return await _page(request, console, who, notice=notice)
