"""Accounts in a real browser (issue 18): three accounts added with the CLI before the
app starts; the login form and nothing else; a wrong password in both languages; the
planner runs the Jinjiang default, the reviewer approves and rejects (the trail names
them and their role) but cannot save a scenario, the viewer reads and exports only.
Photographed into ``test-output/screenshots``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_app_browser import (
    _decide,
    _downloaded_workbook,
    _metrics,
    _nav,
    _no_traceback,
    _pick_site,
    _run_current,
    _save_preset,
    _settle,
    _shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: name -> (role, name shown in the trails, password)
ACCOUNTS = {
    "wang": ("planner", "王规划", "plan-pass-2027"),
    "li": ("reviewer", "李审核", "review-pass-2027"),
    "zhao": ("viewer", "赵查看", "view-pass-2027"),
}
ROLE_WORD = {"planner": "规划人员", "reviewer": "审核员", "viewer": "查看者"}


def _add_accounts(home) -> None:
    """The accounts, added as an administrator would: ``python -m planner users add``."""
    env = {**os.environ, "PLANNER_HOME": str(home)}
    env.pop("PLANNER_DB", None)
    for name, (role, shown, password) in ACCOUNTS.items():
        done = subprocess.run(
            [sys.executable, "-m", "planner", "users", "add", name, "--role", role,
             "--display-name", shown, "--password-stdin"],
            input=password + "\n", env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "planner", "users", "list"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    for name, (role, _, password) in ACCOUNTS.items():
        line = next(x for x in listed.stdout.splitlines() if x.startswith(name + "\t"))
        assert role in line and password not in listed.stdout


def _login_form(page) -> None:
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=60_000)
    _settle(page)


def _log_in(page, name: str, password: str | None = None) -> None:
    """Fill the login form and submit it."""
    page.get_by_role("textbox", name="账号").fill(name)
    page.get_by_label("密码", exact=True).fill(password or ACCOUNTS[name][2])
    page.get_by_role("button", name="登录", exact=True).click()


def _logged_in(page, name: str) -> None:
    role, shown, _ = ACCOUNTS[name]
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text(f"已登录：{shown}（{ROLE_WORD[role]}）").wait_for(timeout=60_000)
    _settle(page)


def _log_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()
    _login_form(page)


def test_planner_runs_reviewer_decides_viewer_exports(browser, tmp_path, screenshots):
    from conftest import AppServer
    from playwright.sync_api import expect

    from planner.store import Store

    home = tmp_path / "home"
    home.mkdir(parents=True)
    _add_accounts(home)
    server = AppServer(home)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url + "?region=jinjiang")
        page.get_by_text("登录 · 再生资源回收网络规划").wait_for(timeout=60_000)
        _login_form(page)
        # the login form and nothing else: no pages, no region, no sidebar
        assert page.locator("[data-testid=stSidebarNav]").count() == 0
        body = page.inner_text("body")
        assert "区域数据" not in body and "晋江" not in body, body
        _shot(page, screenshots, "accounts_login.png")

        # a wrong password, in Chinese and in English
        _log_in(page, "wang", "not-the-password")
        page.get_by_text("账号或密码错误").wait_for(timeout=60_000)
        page.get_by_text("English").click()
        page.get_by_role("button", name="Log in", exact=True).wait_for(timeout=60_000)
        _settle(page)
        page.get_by_role("textbox", name="Account name").fill("wang")
        page.get_by_label("Password", exact=True).fill("still-not-it")
        page.get_by_role("button", name="Log in", exact=True).click()
        page.get_by_text("Wrong account name or password").wait_for(timeout=60_000)
        page.get_by_text("简体中文").click()
        _login_form(page)
        assert page.locator("[data-testid=stSidebarNav]").count() == 0

        # the planner: saves and runs the Jinjiang default, sees the result
        _log_in(page, "wang")
        _logged_in(page, "wang")
        _save_preset(page)
        _run_current(page)
        page.get_by_text("查看规划结果").click()
        metrics = _metrics(page)
        assert metrics["回收站点"] == "80" and metrics["分拣中心"] == "2"
        _no_traceback(page)
        _shot(page, screenshots, "accounts_planner_run.png")
        (plan,) = Store(home / "planner.sqlite").list_plans(region="jinjiang")
        assert (plan.user_name, plan.user_role) == ("wang", "planner")
        _log_out(page)

        # the reviewer: approves one site and rejects another, under their own name
        _log_in(page, "li")
        _logged_in(page, "li")
        _nav(page, "站点审核")
        page.wait_for_selector("text=站点审核：晋江市", timeout=60_000)
        _settle(page)
        name = page.get_by_role("textbox", name="审核人")
        expect(name).to_have_value("李审核", timeout=30_000)
        expect(name).to_be_disabled()
        _pick_site(page, 0)
        _decide(page, "批准")
        recorded = page.locator("[data-testid=stMain] [data-testid=stAlert]").first
        assert "已记录：李审核 对 1 个站点“批准”" in recorded.inner_text(), recorded.inner_text()
        _pick_site(page, 1)
        _decide(page, "否决", "消防不合格")
        table = page.locator("[data-testid=stDataFrame]").filter(
            has=page.locator("th", has_text="操作人（角色）")
        )
        for attempt in range(4):  # a rerun while the click lands redraws it closed
            _settle(page)
            trail = page.get_by_text("审核记录", exact=True)
            trail.scroll_into_view_if_needed()
            if not table.count():
                trail.click()
            try:
                table.wait_for(timeout=15_000)
                break
            except Exception:
                if attempt == 3:
                    raise
        # the trail names the account (its login name) and its role
        cells = table.locator("td", has_text="li（审核员）")
        expect(cells).to_have_count(2, timeout=30_000)
        expect(table.locator("td", has_text="李审核")).to_have_count(2)  # the shown name
        _no_traceback(page)
        _shot(page, screenshots, "accounts_reviewer.png")
        decisions = Store(home / "planner.sqlite").review_history(plan.scenario_id)
        assert sorted(d.action for d in decisions) == ["approve", "reject"]
        assert {(d.user_name, d.user_role) for d in decisions} == {("li", "reviewer")}
        # a reviewer cannot save a scenario: the buttons are there but refuse
        _nav(page, "情景设置")
        save = page.get_by_role("button", name="保存情景").first
        save.wait_for(timeout=60_000)
        expect(save).to_be_disabled()
        expect(page.get_by_role("button", name="复制为新情景")).to_be_disabled()
        _log_out(page)

        # the viewer: reads and exports, decides and runs nothing
        _log_in(page, "zhao")
        _logged_in(page, "zhao")
        _nav(page, "运行规划")
        page.wait_for_selector("text=此情景的历次结果", timeout=60_000)
        _settle(page)
        assert page.get_by_role("button", name="开始计算").count() == 0
        _nav(page, "站点审核")
        page.get_by_text("您的角色（查看者）不能在此页").first.wait_for(timeout=60_000)
        _settle(page)
        assert page.get_by_role("button", name="提交审核意见").count() == 0
        assert page.get_by_role("button", name="按审核意见重新计算").count() == 0
        _nav(page, "规划结果")
        metrics = _metrics(page)
        assert metrics["回收站点"] == "80"
        download = page.get_by_role("button", name="下载 jinjiang_sites.xlsx")
        download.wait_for(timeout=60_000)
        book = _downloaded_workbook(page, download, tmp_path)
        from planner.plan.review_tables import status_text

        rows = list(book["回收站点"].iter_rows(values_only=True))
        assert len(rows) - 1 == 80  # the plan's stations, each with its review status
        cells = [str(c) for row in rows[1:] for c in row]
        assert cells.count(status_text("rejected", False, "zh")) == 1
        assert cells.count(status_text("approved", False, "zh")) == 1
        _no_traceback(page)
        _shot(page, screenshots, "accounts_viewer.png")
        page.close()
    finally:
        server.stop()
