"""Paths served with and without their trailing slash, never redirected."""

from django.urls import path


def both(route: str, view, name: str | None = None) -> list:
    """``route`` given without its trailing slash; returns the two patterns."""
    route = route.rstrip("/")
    return [path(route, view, name=name), path(route + "/", view)]
