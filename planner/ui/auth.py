"""Login, logout and the acting user of a browser session.

Without accounts (none added yet) every session acts as the local admin and the
sidebar says so. With accounts, :func:`gate` draws the login form instead of any page
until the session holds a valid token; the token is kept in the session state only
(the database keeps its hash), so closing the tab or its expiry ends the login.
:func:`current_actor` is read afresh on every store access: a disabled account or an
expired session stops acting at once, and a page drawn without :func:`gate` cannot
act as anyone.
"""

from __future__ import annotations

import streamlit as st

from planner.accounts import LOCAL, Actor, allowed, roles
from planner.accounts.roles import ROLE_LABEL
from planner.i18n import DEFAULT_LANGUAGE, PlannerError, t
from planner.store import Store

__all__ = ["TOKEN", "can", "current_actor", "gate", "not_allowed", "sidebar_account", "who"]

#: Session key of the login token.
TOKEN = "auth_token"


def _tr(key: str, **params) -> str:
    return t(key, st.session_state.get("lang", DEFAULT_LANGUAGE), **params)


def current_actor() -> Actor:
    """Who acts in this session: :data:`~planner.accounts.LOCAL` without accounts,
    else the logged-in user.

    Raises
    ------
    PlannerError
        ``auth.login_needed`` when accounts exist and the session holds no valid login.
    """
    base = Store()
    if not base.has_accounts():
        return LOCAL
    user = base.session_user(st.session_state.get(TOKEN))
    if user is None:
        raise PlannerError("auth.login_needed")
    return user.actor


def can(action: str) -> bool:
    """Whether this session's user may take ``action`` (to hide what it may not; the
    store refuses it anyway)."""
    try:
        return allowed(current_actor(), action)
    except PlannerError:
        return False


def _role(role: str) -> str:
    return _tr(ROLE_LABEL.get(role, "auth.role.unknown"))


def _login_form(base: Store) -> None:
    st.title(_tr("auth.ui.title"))
    st.radio(
        t("ui.language", st.session_state.get("lang", DEFAULT_LANGUAGE)),
        options=["zh", "en"],
        format_func=lambda code: {"zh": "简体中文", "en": "English"}[code],
        key="lang",
        horizontal=True,
    )
    with st.form("login_form"):
        name = st.text_input(_tr("auth.ui.name"), key="login_name", max_chars=40)
        password = st.text_input(
            _tr("auth.ui.password"), key="login_password", type="password", max_chars=200
        )
        submitted = st.form_submit_button(_tr("auth.ui.login"))
    if submitted:
        try:
            result = base.login(name, password)
        except PlannerError as err:
            st.error(err.message(st.session_state.get("lang", DEFAULT_LANGUAGE)))
        else:
            st.session_state[TOKEN] = result.token
            st.session_state.pop("login_password", None)
            st.rerun()


def gate() -> Actor:
    """The session's actor; with accounts and no valid login, the login form and
    nothing else (the script stops here)."""
    base = Store()
    if not base.has_accounts():
        return LOCAL
    user = base.session_user(st.session_state.get(TOKEN))
    if user is not None:
        return user.actor
    if st.session_state.pop(TOKEN, None):
        st.warning(_tr("auth.ui.expired"))
    _login_form(base)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def _logout() -> None:
    Store().logout(st.session_state.pop(TOKEN, None))


def sidebar_account() -> None:
    """The local-mode banner, or the user's name and role with a logout button."""
    try:
        actor = current_actor()
    except PlannerError:
        return
    if actor == LOCAL:
        st.info(_tr("auth.ui.local_mode"), icon=":material/person:")
        return
    st.caption(_tr("auth.ui.signed_in", name=actor.shown, role=_role(actor.role)))
    st.button(_tr("auth.ui.logout"), key="auth_logout", on_click=_logout)


def who(user_name: str, user_role: str) -> str:
    """An audit row's user and role in the session's language
    (:func:`planner.accounts.roles.who`)."""
    return roles.who(user_name, user_role, st.session_state.get("lang", DEFAULT_LANGUAGE))


def not_allowed(action: str) -> str:
    """Why a part of a page is not shown: the user's role cannot take ``action``."""
    try:
        role = current_actor().role
    except PlannerError:
        role = ""
    return _tr(
        "auth.ui.not_allowed",
        role=_role(role),
        action=_tr(roles.ACTION_LABEL[action]),
    )
