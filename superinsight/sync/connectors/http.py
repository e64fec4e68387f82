"""An HTTP JSON endpoint, page by page: page numbers, offsets, a next link, or a next-page cursor.

The address passes the same guard as database addresses (no internal targets
unless an admin allows them) and is resolved once: every request goes to that
address, with the host name kept for the `Host` header and TLS, so a name that
answers differently later (DNS rebinding) cannot steer a request inside.
Redirects are not followed and a next link must stay on the first page's host.
Headers (an API token) come from the encrypted credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from superinsight.redaction import redact
from superinsight.sync.connectors.address import Target
from superinsight.sync.connectors.base import (
    ReadSpec,
    SourceError,
    SourceRecord,
    after,
    changed_at,
    in_batches,
    position_of,
)
from superinsight.sync.transforms import Record

PAGINATION_TYPES = ("none", "page", "offset", "next", "cursor")
MAX_PAGES = 10_000
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
PAGINATION_TEXTS = ("param", "size_param", "path")
PAGINATION_NUMBERS = {"size": (1, 10_000), "start": (0, 1_000_000_000)}  # each with its range


def pagination_problem(pagination: Any) -> str | None:
    """What is wrong with pagination settings, naming the field (a type that is not known, a
    number that is not whole or out of range, a text that is not text), or None."""
    if pagination in (None, ""):
        return None
    if not isinstance(pagination, dict):
        return 'pagination: an object such as {"type": "page", "size": 100}'
    known = ("type", *PAGINATION_TEXTS, *PAGINATION_NUMBERS)
    if unknown := sorted(str(key) for key in pagination if key not in known):
        return f"pagination: {', '.join(unknown)} is not one of {', '.join(known)}"
    if pagination.get("type", "none") not in PAGINATION_TYPES:
        return f"pagination type must be one of {', '.join(PAGINATION_TYPES)}"
    for key, (low, high) in PAGINATION_NUMBERS.items():
        value = pagination.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"pagination {key}: a whole number from {low:,} to {high:,}, not {value!r:.40}"
    for key in PAGINATION_TEXTS:
        if not isinstance(pagination.get(key, ""), str) or len(pagination.get(key, "")) > 255:
            return f"pagination {key}: text of at most 255 characters"
    return None


def _check_status(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise SourceError(f"the endpoint refused the credentials (HTTP {response.status_code})")
    if response.is_redirect:
        raise SourceError(f"the endpoint redirects (HTTP {response.status_code}); use the final address")
    if response.status_code >= 400:
        raise SourceError(f"the endpoint answered HTTP {response.status_code}")


def _read_capped(response: httpx.Response) -> bytes:
    """The response body, refused once it passes MAX_RESPONSE_BYTES (however the server sends it)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise SourceError(_too_large(int(declared)))
    received = bytearray()
    for chunk in response.iter_bytes():
        received += chunk
        if len(received) > MAX_RESPONSE_BYTES:
            raise SourceError(_too_large(len(received), at_least=True))
    return bytes(received)


def _too_large(size: int, *, at_least: bool = False) -> str:
    said = f"{'at least ' if at_least else ''}{size / 1024 / 1024:,.1f} MB"
    return (
        f"a page of the endpoint is {said}, more than the {MAX_RESPONSE_BYTES // 1024 // 1024} MB "
        "a page may be; ask for smaller pages (a page size parameter)"
    )


def dig(body: Any, path: str) -> Any:
    """The value at a dotted path of a JSON body ('' is the body itself)."""
    value = body
    for part in [part for part in path.split(".") if part]:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class HttpJsonConnector:
    def __init__(self, target: Target, config: dict[str, Any], credentials: dict[str, str]) -> None:
        self._url = target.url
        self._target = target
        self._records_path = str(config.get("records_path") or "")
        if problem := pagination_problem(config.get("pagination")):
            raise SourceError(problem)
        self._pagination: dict[str, Any] = dict(config.get("pagination") or {"type": "none"})
        self._headers = {name: value for name, value in credentials.items() if name.lower() != "url"}
        self._secrets = list(credentials.values())

    def _get(self, client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
        here, first = urlsplit(url), urlsplit(self._url)
        if (here.scheme, here.netloc) != (first.scheme, first.netloc):
            raise SourceError("a next-page link points at another host or scheme; refusing to follow it")
        try:
            response = client.send(self._pinned(client, url, params), stream=True)
        except httpx.HTTPError as exc:
            raise SourceError(f"could not reach the endpoint: {redact(str(exc), self._secrets)}") from None
        try:
            _check_status(response)
            body = _read_capped(response)
        except httpx.HTTPError as exc:
            raise SourceError(f"the endpoint broke off: {redact(str(exc), self._secrets)}") from None
        finally:
            response.close()
        try:
            return json.loads(body)
        except ValueError:
            raise SourceError("the endpoint did not answer with JSON") from None

    def _pinned(self, client: httpx.Client, url: str, params: dict[str, Any]) -> httpx.Request:
        """A GET of `url` sent to the address resolved at the check, named as the URL names it."""
        request = client.build_request("GET", httpx.URL(url).copy_merge_params(params))
        request.url = request.url.copy_with(host=self._target.address)
        request.extensions["sni_hostname"] = self._target.host or ""
        return request

    def _records_of(self, body: Any, page: int) -> list[Record]:
        records = dig(body, self._records_path)
        if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
            where = self._records_path or "the top level"
            raise SourceError(f"page {page}: no list of JSON objects at {where}")
        return records

    def pages(self) -> Iterator[list[Record]]:
        kind = self._pagination.get("type", "none")
        param = str(
            self._pagination.get("param")
            or {"page": "page", "offset": "offset", "cursor": "cursor"}.get(kind, "")
        )
        size = int(self._pagination.get("size") or 100)
        size_param = self._pagination.get("size_param")
        with httpx.Client(headers=self._headers, timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            url, params = self._url, dict[str, Any]()
            if size_param:
                params[str(size_param)] = size
            number = int(self._pagination.get("start", 1 if kind == "page" else 0))
            for page in range(1, MAX_PAGES + 1):
                if kind in ("page", "offset"):
                    params[param] = number
                body = self._get(client, url, params)
                records = self._records_of(body, page)
                yield records
                if kind == "none" or not records:
                    return
                if kind == "page":
                    number += 1
                elif kind == "offset":
                    number += len(records)
                elif kind == "next":
                    link = dig(body, str(self._pagination.get("path") or "next"))
                    if not link:
                        return
                    url, params = urljoin(url, str(link)), {}
                else:
                    token = dig(body, str(self._pagination.get("path") or "next_cursor"))
                    if not token:
                        return
                    params[param] = token
            raise SourceError(f"the endpoint returned more than {MAX_PAGES:,} pages; narrow it down")

    def _all(self) -> list[Record]:
        return [record for page in self.pages() for record in page]

    def test(self) -> str:
        first = next(self.pages(), [])
        fields = sorted({key for record in first for key in record})
        return f"reached; first page has {len(first)} records, fields: {', '.join(fields[:12])}"

    def sample(self, limit: int = 20) -> list[Record]:
        return next(self.pages(), [])[:limit]

    def _positioned(self, spec: ReadSpec) -> list[SourceRecord]:
        records = self._all()
        positions = [position_of(record, spec) for record in records]
        return after(
            [SourceRecord(record, at, changed_at(at)) for record, at in zip(records, positions, strict=True)],
            spec.since,
        )

    def count(self, spec: ReadSpec) -> int | None:
        return None

    def read(self, spec: ReadSpec, batch_size: int) -> Iterator[list[SourceRecord]]:
        return in_batches(self._positioned(spec), batch_size)
