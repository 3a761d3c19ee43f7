// SPDX-License-Identifier: MIT
// Shared pieces of the pyheap UI: the html tag, the router, the API client,
// number formatting and small components. Every value from a dump is put
// into the page as text (Preact escapes it); nothing here writes HTML.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

// ---- routing: the URL holds the whole state of a view ----

const listeners = new Set();

export function currentRoute() {
	return { path: location.pathname, params: new URLSearchParams(location.search) };
}

export function navigate(href, replace = false) {
	if (replace) history.replaceState(null, '', href);
	else history.pushState(null, '', href);
	window.scrollTo(0, 0);
	listeners.forEach((f) => f());
}

window.addEventListener('popstate', () => listeners.forEach((f) => f()));

export function useRoute() {
	const [route, setRoute] = useState(currentRoute);
	useEffect(() => {
		const f = () => setRoute(currentRoute());
		listeners.add(f);
		return () => listeners.delete(f);
	}, []);
	return route;
}

// Links inside the app change the URL without a reload (new tabs and the
// like are left to the browser).
document.addEventListener('click', (e) => {
	const a = e.target.closest && e.target.closest('a[href]');
	if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
	const url = new URL(a.href, location.href);
	if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
	e.preventDefault();
	navigate(url.pathname + url.search);
});

// A link with query parameters (those that are null, undefined or '' left out).
export function href(path, params = {}) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
	const s = q.toString();
	return s ? `${path}?${s}` : path;
}

const ADDRESS = /^(0x[0-9a-f]+|[0-9]+)$/i;
export const isAddress = (s) => typeof s === 'string' && ADDRESS.test(s);

export function objectHref(address, dump) {
	return isAddress(address) ? href(`/objects/${address}`, { dump: dump === 'old' ? 'old' : null }) : null;
}

// ---- the API ----

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export async function api(path, params = {}, signal) {
	const r = await fetch(href(`/api${path}`, params), { signal, headers: { Accept: 'application/json' } });
	let doc;
	try {
		doc = await r.json();
	} catch (e) {
		throw new ApiError(r.status, `the server answered ${r.status} without JSON`);
	}
	if (!r.ok) throw new ApiError(r.status, doc.error || `error ${r.status}`);
	return doc;
}

// {data, error, loading} of an API document; reloaded when key changes.
export function useApi(path, params, key) {
	const [state, setState] = useState({ data: null, error: null, loading: true });
	useEffect(() => {
		const ctl = new AbortController();
		setState((s) => ({ data: s.data, error: null, loading: true }));
		api(path, params, ctl.signal).then(
			(data) => setState({ data, error: null, loading: false }),
			(error) => { if (error.name !== 'AbortError') setState({ data: null, error, loading: false }); },
		);
		return () => ctl.abort();
	}, [key]);
	return state;
}

// ---- numbers ----

const grouped = new Intl.NumberFormat('en-US');
export const fmtInt = (n) => grouped.format(n);

export function humanBytes(n) {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
	if (n < 1024) return `${n} B`;
	let v = n, u = 0;
	while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
	return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

export const pct = (part, total) => (total ? (100 * part) / total : 0);
export const fmtPct = (p) => (p >= 10 ? p.toFixed(0) : p >= 0.1 ? p.toFixed(1) : p > 0 ? '<0.1' : '0') + '%';

// ---- components ----

// A byte count: human units, the exact number on hover.
export function Bytes({ n }) {
	return html`<span class="num" title=${`${fmtInt(n)} bytes`}>${humanBytes(n)}</span>`;
}

export function Count({ n }) {
	return html`<span class="num">${fmtInt(n)}</span>`;
}

// A bar showing a share, behind a number.
export function Share({ part, total }) {
	const p = pct(part, total);
	return html`<span class="share" title=${`${p.toFixed(2)}% of ${fmtInt(total)} bytes`}>
		<span class="bar"><span class="fill" style=${{ width: `${Math.min(100, p)}%` }}></span></span>
		<span class="num">${fmtPct(p)}</span></span>`;
}

export function Addr({ address, dump }) {
	const h = objectHref(address, dump);
	return h ? html`<a class="addr" href=${h}>${address}</a>` : html`<span class="addr muted">-</span>`;
}

export function KindLink({ kind, by = 'type' }) {
	if (!kind || kind.startsWith('<')) return html`<span class="kind">${kind || ''}</span>`;
	return html`<a class="kind" href=${href('/heap', { kind, by: by === 'type' ? null : by })}>${kind}</a>`;
}

export function Value({ text }) {
	return text ? html`<span class="value" title=${text.length > 60 ? text : null}>${text}</span>` : null;
}

export function Loading({ state, children }) {
	if (state.error) return html`<div class="error" role="alert"><strong>${state.error.status ? `Error ${state.error.status}` : 'Error'}:</strong> ${state.error.message}</div>`;
	if (!state.data) return html`<p class="loading">Loading…</p>`;
	return children(state.data);
}

// Tables: arrow keys move between rows, Enter opens the row's first link.
export function onTableKey(e) {
	const row = e.target.closest('tr[tabindex]');
	if (!row) return;
	let next = null;
	if (e.key === 'ArrowDown' || e.key === 'j') next = row.nextElementSibling;
	else if (e.key === 'ArrowUp' || e.key === 'k') next = row.previousElementSibling;
	else if (e.key === 'Enter' && e.target === row) {
		const a = row.querySelector('a[href]');
		if (a) { e.preventDefault(); a.click(); }
		return;
	} else return;
	if (next && next.matches('tr[tabindex]')) { e.preventDefault(); next.focus(); }
}

export function Table({ cols, rows, empty = 'Nothing to show.', label }) {
	if (!rows.length) return html`<p class="muted">${empty}</p>`;
	return html`<div class="table-wrap"><table aria-label=${label} onKeyDown=${onTableKey}>
		<thead><tr>${cols.map((c) => html`<th class=${c.num ? 'n' : ''} scope="col">${c.title}</th>`)}</tr></thead>
		<tbody>${rows.map((r, i) => html`<tr tabindex="0" key=${i}>${cols.map((c) => html`<td class=${c.num ? 'n' : c.cls || ''}>${c.cell(r, i)}</td>`)}</tr>`)}</tbody>
	</table></div>`;
}
