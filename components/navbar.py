"""The top navigation bar: brand, page links (Admin for admins only), the notifications bell, theme
switch, user menu."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.notifications import bell

PAGES = [("Overview", "/", "bi-activity"), ("Dashboards", "/dashboards", "bi-grid-1x2"),
         ("Reports", "/reports", "bi-file-earmark-richtext"), ("Data", "/data", "bi-database")]


def _link(label: str, href: str, icon: str) -> dbc.NavItem:
    return dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon} me-1"), label], href=href,
                                   active="exact" if href == "/" else "partial"))


def user_menu(display_name: str, email: str, role: str, csrf_token: str) -> dbc.DropdownMenu:
    return dbc.DropdownMenu(
        label=[html.I(className="bi bi-person-circle me-1"), display_name],
        align_end=True, nav=True, in_navbar=True, id="pb-user-menu",
        children=[
            dbc.DropdownMenuItem([html.Div(email, className="small text-body-secondary"),
                                  html.Span(role, className=f"pb-role-badge pb-role-{role}")],
                                 header=True),
            dbc.DropdownMenuItem([html.I(className="bi bi-key me-2"), "Account and password"],
                                 href="/account"),
            dbc.DropdownMenuItem(divider=True),
            html.Form(
                [dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                 html.Button([html.I(className="bi bi-box-arrow-right me-2"), "Sign out"],
                             type="submit", className="dropdown-item", id="pb-sign-out")],
                action="/logout", method="POST",
            ),
        ],
    )


def navbar(display_name: str, email: str, role: str, csrf_token: str) -> dbc.Navbar:
    links = [_link(*page) for page in PAGES]
    if role == "admin":
        links.append(_link("Admin", "/admin", "bi-shield-lock"))
    return dbc.Navbar(
        dbc.Container(
            [
                html.A([html.Img(src="/assets/logo.svg", className="pb-logo", alt=""), "Pulseboard"],
                       href="/", className="pb-brand navbar-brand"),
                dbc.NavbarToggler(id="pb-navbar-toggler"),
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        dbc.Nav(
                            [
                                bell(),
                                dbc.NavItem(dbc.Button(
                                    html.I(id=ids.THEME_ICON, className="bi bi-moon-stars"),
                                    id=ids.THEME_TOGGLE, color="link", className="nav-link",
                                    title="Switch light or dark theme", n_clicks=0,
                                )),
                                user_menu(display_name, email, role, csrf_token),
                            ],
                            navbar=True, className="align-items-lg-center",
                        ),
                    ],
                    id="pb-navbar-collapse", navbar=True,
                ),
            ],
            fluid=True,
        ),
        className="pb-navbar", sticky="top",
    )
